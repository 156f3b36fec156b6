"""pes-v2: tells whether Hélios (DGFiP) will accept a PES V2 flow, and if not, what and where."""

from .errors import BundleError, ConfigError, InputError, PesError
from .findings import Finding, FlowSummary, Report, SchemaInfo, Scope, Severity

__version__ = "0.1.0"

__all__ = [
    "BundleError",
    "ConfigError",
    "Finding",
    "FlowSummary",
    "InputError",
    "PesError",
    "Report",
    "SchemaInfo",
    "Scope",
    "Severity",
    "__version__",
]
