"""cuagym.scaffold: how a trajectory becomes model input.

One rule, used by rollout and training alike: the screenshot-folding rule (recent
screenshots at full resolution, older ones folded into a text placeholder in blocks), the
token-exact rendering of a multi-turn computer-use chat, and the slicing of a trajectory
into training samples whose contexts are exactly the contexts the policy acted under.
"""

from cuagym.scaffold.fold import fold_boundaries, folded_count
from cuagym.scaffold.context import Context, ContextBuilder, StepRecord
from cuagym.scaffold.slicing import Slice, slice_trajectory

__all__ = ["folded_count", "fold_boundaries", "Context", "ContextBuilder", "StepRecord", "Slice", "slice_trajectory"]
