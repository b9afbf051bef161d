"""FactoredMatrix: a matrix kept as the product A @ B of two thin factors, as TransformerLens has it.

A head's OV circuit W_V W_O is d_model x d_model but has rank d_head, so its statistics come from the
factors or from d_head x d_head matrices and the product is rarely formed. The leading axes (layer,
head) are batch axes: ``model.OV[1, 6]`` is one head's circuit, ``model.OV[1]`` every head of layer 1.
Eigenvalues, singular values and norms come from circuitscope's C++ FactoredMatrix, one matrix at a
time, in double precision.
"""
import numpy as np

from . import _circuitscope as _cs


class FactoredMatrix:
    """A @ B with A [..., m, r] and B [..., r, n] (leading axes broadcast)."""

    # numpy arrays on the left of @ hand the product to __rmatmul__.
    __array_ufunc__ = None

    def __init__(self, A, B):
        A, B = np.asarray(A), np.asarray(B)
        if A.ndim < 2 or B.ndim < 2 or A.shape[-1] != B.shape[-2]:
            raise ValueError(f"factors of shapes {A.shape} and {B.shape} do not multiply")
        lead = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        self.A = np.broadcast_to(A, lead + A.shape[-2:])
        self.B = np.broadcast_to(B, lead + B.shape[-2:])

    @property
    def shape(self):
        return self.A.shape[:-1] + self.B.shape[-1:]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def ldim(self):
        return self.A.shape[-2]

    @property
    def mdim(self):
        return self.A.shape[-1]

    @property
    def rdim(self):
        return self.B.shape[-1]

    @property
    def AB(self):
        """The product itself, [..., m, n]."""
        return self.A @ self.B

    @property
    def BA(self):
        """B @ A, [..., r, r]: its eigenvalues are A @ B's non-zero ones (needs m == n)."""
        if self.ldim != self.rdim:
            raise ValueError(f"B A needs a square product, this one is {self.ldim} x {self.rdim}")
        return self.B @ self.A

    @property
    def T(self):
        return FactoredMatrix(np.swapaxes(self.B, -1, -2), np.swapaxes(self.A, -1, -2))

    def __getitem__(self, index):
        """Index the leading axes only: OV[layer, head]."""
        index = index if isinstance(index, tuple) else (index,)
        if len(index) > self.ndim - 2:
            raise IndexError(f"a FactoredMatrix of shape {self.shape} has {self.ndim - 2} leading axes to index")
        return FactoredMatrix(self.A[index], self.B[index])

    def __matmul__(self, other):
        if isinstance(other, FactoredMatrix):
            # Keep the smaller inner size.
            if self.mdim <= other.mdim:
                return FactoredMatrix(self.A, self.B @ other.AB)
            return FactoredMatrix(self.AB @ other.A, other.B)
        other = np.asarray(other)
        if other.ndim == 1:
            return self.A @ (self.B @ other)
        return FactoredMatrix(self.A, self.B @ other)

    def __rmatmul__(self, other):
        other = np.asarray(other)
        if other.ndim == 1:
            return (other @ self.A) @ self.B
        return FactoredMatrix(other @ self.A, self.B)

    def _each(self, fn):
        """fn(A, B) of every matrix, stacked over the leading axes."""
        lead = self.shape[:-2]
        out = [fn(np.ascontiguousarray(self.A[i], dtype=np.float64), np.ascontiguousarray(self.B[i], dtype=np.float64))
               for i in np.ndindex(*lead)]
        return out, lead

    @property
    def eigenvalues(self):
        """Eigenvalues of B A, [..., r] complex, largest |lambda| first (needs m == n)."""
        self.BA  # noqa: B018 - the same check and message
        out, lead = self._each(_cs._factored_eigenvalues)
        return np.stack(out).reshape(lead + out[0].shape) if lead else out[0]

    def svd(self):
        """(U, S, Vh) as TransformerLens returns them: U [..., m, k], S [..., k] descending, Vh [..., n, k],
        with A @ B == U @ diag(S) @ Vh.T (note the .T; k = min(r, m, n))."""
        out, lead = self._each(_cs._factored_svd)
        U, S, V = (np.stack([o[i] for o in out]).reshape(lead + out[0][i].shape) for i in range(3))
        return U, S, V

    @property
    def S(self):
        return self.svd()[1]

    def norm(self):
        """The Frobenius norm of A @ B, [...]."""
        out, lead = self._each(_cs._factored_norm)
        return np.array(out).reshape(lead) if lead else out[0]

    def __repr__(self):
        return f"FactoredMatrix: shape {self.shape}, hidden dim {self.mdim}"
