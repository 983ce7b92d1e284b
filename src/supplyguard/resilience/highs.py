"""One HiGHS instance kept warm: re-solves change bounds only, so the optimal basis carries over."""

from __future__ import annotations

import highspy
import numpy as np
import numpy.typing as npt

from supplyguard.errors import ModelError

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int32]


class HighsSolver:
    """One HiGHS instance; ``solve_with`` changes only bounds, so the basis carries over."""

    def __init__(
        self,
        cost: FArray,
        lower_c: FArray,
        upper_c: FArray,
        lower_r: FArray,
        upper_r: FArray,
        starts: IArray,
        index: IArray,
        value: FArray,
        *,
        maximise: bool,
    ) -> None:
        self.h = highspy.Highs()  # type: ignore[no-untyped-call]
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("solver", "simplex")
        self.h.setOptionValue("simplex_strategy", 1)  # serial dual simplex: best for warm re-solves
        self.h.setOptionValue("threads", 1)
        self.h.setOptionValue("simplex_update_limit", 1000)
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(lower_r)
        lp.col_cost_ = cost
        lp.col_lower_ = lower_c
        lp.col_upper_ = upper_c
        lp.row_lower_ = lower_r
        lp.row_upper_ = upper_r
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        self.h.passModel(lp)
        self.lower_c, self.upper_c = lower_c.copy(), upper_c.copy()
        self.lower_r, self.upper_r = lower_r.copy(), upper_r.copy()
        self.all_cols = np.arange(len(cost), dtype=np.int32)
        self.all_rows = np.arange(len(lower_r), dtype=np.int32)

    def run(self, *, allow_infeasible: bool = False) -> bool:
        self.h.run()
        status = self.h.getModelStatus()
        if allow_infeasible and status == highspy.HighsModelStatus.kInfeasible:
            return False
        if status != highspy.HighsModelStatus.kOptimal:
            raise ModelError(
                f"HiGHS could not solve the contingency LP: {self.h.modelStatusToString(status)}"
            )
        return True

    def basis(self) -> highspy.HighsBasis:
        """The current basis (after an optimal solve: the optimal one), to restart from later."""
        return self.h.getBasis()

    def solve_with(
        self,
        lower_c: FArray,
        upper_c: FArray,
        lower_r: FArray,
        upper_r: FArray,
        *,
        start: highspy.HighsBasis | None = None,
    ) -> FArray:
        """Solve with these bounds; ``start`` restarts dual simplex from a saved basis (that of
        a nearby problem, e.g. the undisrupted optimum) instead of the last one."""
        changed_c = np.flatnonzero((lower_c != self.lower_c) | (upper_c != self.upper_c)).astype(np.int32)
        if len(changed_c):
            self.h.changeColsBounds(len(changed_c), changed_c, lower_c[changed_c], upper_c[changed_c])
            self.lower_c, self.upper_c = lower_c, upper_c
        changed_r = np.flatnonzero((lower_r != self.lower_r) | (upper_r != self.upper_r)).astype(np.int32)
        if len(changed_r):
            self.h.changeRowsBounds(  # type: ignore[attr-defined]
                len(changed_r), changed_r, lower_r[changed_r], upper_r[changed_r]
            )
            self.lower_r, self.upper_r = lower_r, upper_r
        if start is not None:
            self.h.setBasis(start)
        self.run()
        return np.asarray(self.h.getSolution().col_value)
