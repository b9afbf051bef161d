"""The analyses of one snapshot, as objects: their fields as attributes, .to_dict() for plain data.

Each result holds what the same analysis writes to its JSON file in the run's analysis/ folder
(docs/evaluators.md, docs/circuits.md, docs/icl.md), computed by the same code as the CLI.
"""
from . import _circuitscope as _cs


class Result:
    """An analysis result. Nested objects are Results too; lists stay lists."""

    kind = "result"

    def __init__(self, fields):
        object.__setattr__(self, "_fields", fields)

    @staticmethod
    def _wrap(value):
        if isinstance(value, dict):
            return Result(value)
        if isinstance(value, list):
            return [Result._wrap(v) for v in value]
        return value

    def __getattr__(self, name):
        try:
            return self._wrap(self._fields[name])
        except KeyError:
            raise AttributeError(f"this {self.kind} has no field '{name}' (fields: {', '.join(self._fields)})") from None

    def __getitem__(self, key):
        return self._wrap(self._fields[key])

    def __contains__(self, key):
        return key in self._fields

    def keys(self):
        return self._fields.keys()

    def to_dict(self):
        return self._fields

    def __dir__(self):
        return list(self._fields) + ["to_dict", "keys"]

    def __repr__(self):
        return f"<{self.kind}: {', '.join(self._fields)}>"


class HeadsResult(Result):
    """Head evaluators, OV/QK copying scores and the kind of every head (analysis/heads.json)."""

    kind = "heads result"


class CircuitsResult(Result):
    """Weight-only circuits and composition (analysis/circuits.json and composition.json)."""

    kind = "circuits result"


class AblationResult(Result):
    """The ICL score with heads ablated together, against the clean model."""

    kind = "ablation result"


class IclResult(Result):
    """The ICL score over training, its derivatives and the phase change (analysis/icl.json)."""

    kind = "ICL result"


def heads(model, run):
    """Head evaluators, OV/QK eigenvalue copying scores and kinds of every head."""
    return HeadsResult(_cs._heads(model._m, run))


def circuits(model, run):
    """Weight-only circuits: OV/QK eigenvalues, skip-trigrams, direct-path bigrams and composition."""
    return CircuitsResult(_cs._circuits(model._m, run))


def ablate(model, run, heads, kind="pattern-preserving"):
    """The ICL score with these (layer, head) results zeroed together, against the clean model."""
    return AblationResult(_cs._ablate(model._m, run, heads, kind))
