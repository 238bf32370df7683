"""The former name of the problem catalogue (`stiplan.schemas.problems`), kept so
code and notebooks that import it still work."""

from stiplan.schemas.problems import PROBLEMS as REASONS
from stiplan.schemas.problems import ProblemType as Reason
from stiplan.schemas.problems import describe
from stiplan.schemas.problems import problem_type as reason

__all__ = ["REASONS", "Reason", "describe", "reason"]
