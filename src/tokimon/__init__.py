"""tokimon: an autonomous coding agent.

The package is being built on the tiffany runtime; see the open issues for its plan.
"""

__version__ = "0.1.0"
