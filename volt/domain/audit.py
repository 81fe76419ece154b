"""The linear audits of a suppression pattern (volt.domain.privacy): which hidden cells do the
published equations fix exactly?

The dense audit projects each connected block of equations at once, cubic in its size: right
for a family's label counts, too slow for its breakdown tables. The cells of a family of areas
(the communes of a département, each with a DPE breakdown table) make one block of thousands
of equations; yet each equation lies inside one area (a table's rows and columns) or under one
parent (siblings adding up to their EPCI, to their département): the system has the shape of
the area tree, and is solved as a tree (nested dissection).

Each unknown has a *path* (département, EPCI, commune); an equation sits at the longest common
prefix of its unknowns' paths. With one multiplier per equation, an unknown u is fixed exactly
when its column a_u is not a combination of the other columns, i.e. when its leverage
a_uᵀ (Σ_v a_v a_vᵀ)⁺ a_u is 1. That sum is reduced bottom-up (each node keeps only the
multipliers of the equations above it: Schur complements) and completed top-down (what lies
outside a node, on the same multipliers), so that each node sees the whole system on the
equations that touch it: one small matrix per area instead of one of thousands of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack, solve_triangular

Key = tuple[str, ...]  # as volt.domain.privacy's
Path = tuple[str, ...]
Equation = Mapping[Key, float]
Matrix = NDArray[np.float64]

# Eigenvalues (pivots) under this, relative to the largest one (diagonal entry), are zero: the
# equations have coefficients ±1, so the non-zero ones stay far above it.
RANK_TOLERANCE = 1e-9
# An unknown is fixed when its leverage (the norm² of its projection on the row space) is 1.
# Rounding errors are ~1e-12 here; erring towards "fixed" only hides one cell more.
LEVERAGE_TOLERANCE = 1e-6


def determined_by_blocks(equations: list[dict[Key, float]]) -> list[Key]:
    """The unknowns these equations fix, block by block (the dense audit)."""
    found: list[Key] = []
    for block in _blocks(equations):
        found.extend(_determined_in(block))
    return sorted(found)


def determined_over_tree(equations: Sequence[Equation], paths: Mapping[Key, Path]) -> list[Key]:
    """The unknowns that these equations (`{unknown: coefficient}`, constants aside) fix.

    Every unknown needs a path. Exact, as the dense audit is: the same row space, solved by
    parts.
    """
    tree = _Tree(_reduced(equations, paths), paths)
    tree.eliminate_up()
    tree.eliminate_down()
    return sorted(tree.determined())


def _common_prefix(paths: Sequence[Path]) -> Path:
    first, last = min(paths), max(paths)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _reduced(equations: Sequence[Equation], paths: Mapping[Key, Path]) -> list[dict[Key, float]]:
    """The equations, each minus the equations of its children it contains (row operations:
    the same row space). A département's siblings add up to the département, its EPCIs' to
    each EPCI: the département's equation minus its EPCIs' only names the EPCI totals, so a
    commune touches its EPCI's equations and no longer the département's."""
    rows = [dict(eq) for eq in equations if eq]
    nodes = [_common_prefix([paths[k] for k in row]) for row in rows]
    below: dict[Path, dict[frozenset[tuple[Key, float]], int]] = defaultdict(dict)
    for index, (row, node) in enumerate(zip(rows, nodes, strict=True)):
        strictly = frozenset((k, c) for k, c in row.items() if len(paths[k]) > len(node))
        below[node].setdefault(strictly, index)
    originals = [dict(row) for row in rows]
    for index in sorted(range(len(rows)), key=lambda i: len(nodes[i])):
        node, row = nodes[index], rows[index]
        parts: dict[Path, dict[Key, float]] = defaultdict(dict)
        for key, coefficient in row.items():
            if len(paths[key]) > len(node):
                parts[paths[key][: len(node) + 1]][key] = coefficient
        for child, part in sorted(parts.items()):
            match = below[child].get(frozenset(part.items()))
            if match is None:
                continue
            for key, coefficient in originals[match].items():
                row[key] = row.get(key, 0.0) - coefficient
                if row[key] == 0.0:
                    del row[key]
    return [row for row in rows if row]


def _factor(matrix: Matrix) -> tuple[Matrix, NDArray[np.intp]]:
    """Pivoted Cholesky of a positive semi-definite matrix: the rank-r leading triangle and
    the rows it pivots on (matrix[p][:, p] = L Lᵀ)."""
    if matrix.size == 0:
        return np.zeros((0, 0)), np.zeros(0, dtype=np.intp)
    tolerance = RANK_TOLERANCE * max(1.0, float(np.max(np.diag(matrix))))
    factor, pivots, rank, _ = lapack.dpstrf(matrix, lower=1, tol=tolerance)
    return np.tril(factor[:rank, :rank]), pivots[:rank] - 1


def _whitened(matrix: Matrix, columns: Matrix) -> Matrix:
    """Y with Yᵀ Y = columnsᵀ matrix⁺ columns, for columns in the range of `matrix` (PSD)."""
    triangle, pivots = _factor(matrix)
    if len(pivots) == 0:
        return np.zeros((0, columns.shape[1]))
    whitened: Matrix = solve_triangular(triangle, columns[pivots], lower=True)
    return whitened


def schur(matrix: Matrix, keep: list[int], drop: list[int]) -> Matrix:
    """What the PSD `matrix` says of the `keep` coordinates when the `drop` ones are free."""
    kept: Matrix = matrix[np.ix_(keep, keep)]
    if not drop or not keep:
        return kept
    whitened = _whitened(matrix[np.ix_(drop, drop)], matrix[np.ix_(drop, keep)])
    reduced: Matrix = kept - whitened.T @ whitened
    return (reduced + reduced.T) / 2


class _Tree:
    def __init__(self, equations: Sequence[Equation], paths: Mapping[Key, Path]) -> None:
        self.terms: dict[Key, list[tuple[int, float]]] = defaultdict(list)
        for row, equation in enumerate(equations):
            for key, coefficient in equation.items():
                self.terms[key].append((row, coefficient))
        depth = [len(_common_prefix([paths[k] for k in eq])) for eq in equations]
        self.own: dict[Path, list[Key]] = defaultdict(list)
        for key in sorted(self.terms):
            self.own[paths[key]].append(key)
        nodes = {path[:size] for path in self.own for size in range(len(path) + 1)}
        self.children: dict[Path, list[Path]] = defaultdict(list)
        for node in sorted(nodes):
            if node:
                self.children[node[:-1]].append(node)
        self.order = sorted(nodes, key=lambda n: (-len(n), n))  # leaves first
        touched: dict[Path, set[int]] = {}
        self.coords: dict[Path, list[int]] = {}  # the equations a node sees, sorted
        self.up: dict[Path, set[int]] = {}  # those of them above the node
        for node in self.order:
            rows = {row for key in self.own[node] for row, _ in self.terms[key]}
            for child in self.children[node]:
                rows |= touched.pop(child)
            touched[node] = rows
            self.coords[node] = sorted(r for r in rows if depth[r] <= len(node))
            self.up[node] = {r for r in self.coords[node] if depth[r] < len(node)}
        self.inside: dict[Path, Matrix] = {}
        self.message: dict[Path, Matrix] = {}
        self.whole: dict[Path, Matrix] = {}

    def _columns(self, node: Path) -> Matrix:
        """The node's own unknowns as columns over its equations."""
        index = {row: i for i, row in enumerate(self.coords[node])}
        columns = np.zeros((len(index), len(self.own[node])))
        for j, key in enumerate(self.own[node]):
            for row, coefficient in self.terms[key]:
                columns[index[row], j] += coefficient
        return columns

    def _split(self, node: Path, rows: set[int]) -> tuple[list[int], list[int]]:
        """Positions in the node's coordinates of these equations, and of the others."""
        keep = [i for i, row in enumerate(self.coords[node]) if row in rows]
        drop = [i for i, row in enumerate(self.coords[node]) if row not in rows]
        return keep, drop

    def eliminate_up(self) -> None:
        """Each node's own equations eliminated: what its subtree says about those above."""
        for node in self.order:
            columns = self._columns(node)
            inside = columns @ columns.T
            for child in self.children[node]:
                at, _ = self._split(node, self.up[child])
                inside[np.ix_(at, at)] += self.message[child]
            self.inside[node] = inside
            self.message[node] = schur(inside, *self._split(node, self.up[node]))

    def eliminate_down(self) -> None:
        """Each node completed with what lies outside its subtree."""
        outside: dict[Path, Matrix] = {(): np.zeros((0, 0))}
        for node in reversed(self.order):  # root first
            whole = self.inside.pop(node)
            at, _ = self._split(node, self.up[node])
            whole[np.ix_(at, at)] += outside.pop(node)
            self.whole[node] = whole
            for child in self.children[node]:
                keep, drop = self._split(node, self.up[child])
                rest = whole.copy()
                rest[np.ix_(keep, keep)] -= self.message.pop(child)
                outside[child] = schur(rest, keep, drop)

    def determined(self) -> list[Key]:
        found: list[Key] = []
        for node, keys in self.own.items():
            whitened = _whitened(self.whole[node], self._columns(node))
            leverages = np.einsum("ij,ij->j", whitened, whitened)
            found.extend(
                k for k, lev in zip(keys, leverages, strict=True) if lev > 1 - LEVERAGE_TOLERANCE
            )
        return found


def _blocks(equations: list[dict[Key, float]]) -> list[list[dict[Key, float]]]:
    """Equations split into independent systems (no unknown in common), for small matrices."""
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for terms in equations:
        first, *others = terms
        for other in others:
            parent[root(other)] = root(first)
    blocks: dict[Key, list[dict[Key, float]]] = {}
    for terms in equations:
        blocks.setdefault(root(next(iter(terms))), []).append(terms)
    return [blocks[k] for k in sorted(blocks)]


def _determined_in(equations: list[dict[Key, float]]) -> list[Key]:
    """Unknowns fixed by these equations A·x = b: those whose unit vector lies in the row
    space of A, i.e. whose diagonal entry of the projection Aᵀ(AAᵀ)⁺A on it is 1.

    AAᵀ is one row and column per equation (a few hundred), where an SVD of A would be one per
    unknown (thousands): the pseudo-inverse costs little, and each unknown (two or three
    equations) reads a handful of its entries.
    """
    terms_of: dict[Key, list[tuple[int, float]]] = {}
    for row, terms in enumerate(equations):
        for key, coefficient in terms.items():
            terms_of.setdefault(key, []).append((row, coefficient))
    gram = np.zeros((len(equations), len(equations)))
    for entries in terms_of.values():
        for i, a in entries:
            for j, b in entries:
                gram[i, j] += a * b
    values, vectors = np.linalg.eigh(gram)
    kept = values > RANK_TOLERANCE * max(1.0, float(values.max(initial=0.0)))
    pseudo_inverse = (vectors[:, kept] / values[kept]) @ vectors[:, kept].T
    determined = []
    for key in sorted(terms_of):
        entries = terms_of[key]
        projected = sum(a * b * pseudo_inverse[i, j] for i, a in entries for j, b in entries)
        if projected > 1 - LEVERAGE_TOLERANCE:
            determined.append(key)
    return determined
