"""RunDir: a run folder: its config, tokenizer, evaluation tokens, snapshots and ICL curve."""
from . import _circuitscope as _cs
from .model import Model
from .results import IclResult


class RunDir(_cs._RunDir):
    """A run folder (made by `circuitscope train` or `circuitscope import`)."""

    def snapshot(self, which="last"):
        """The snapshot at step `which` (an int) or "last", as a Model."""
        return Model(self._snapshot(which), self)

    def snapshots(self):
        """Every snapshot in training order, loaded one at a time."""
        for step in self.snapshot_steps:
            yield self.snapshot(step)

    def icl(self):
        """The ICL score over training, its derivatives and the phase change (docs/icl.md)."""
        return IclResult(super().icl())
