"""pes-v2: tells whether Hélios (DGFiP) will accept a PES V2 flow, and if not, what and where."""

from .api import iter_findings, validate
from .batch import FileOutcome, validate_many
from .bundles import SchemaBundle
from .errors import BundleError, ConfigError, InputError, PesError
from .findings import Finding, FlowSummary, Report, SchemaInfo, Scope, Severity
from .limits import Limits

__version__ = "0.1.0"

__all__ = [
    "BundleError",
    "ConfigError",
    "FileOutcome",
    "Finding",
    "FlowSummary",
    "InputError",
    "Limits",
    "PesError",
    "Report",
    "SchemaBundle",
    "SchemaInfo",
    "Scope",
    "Severity",
    "__version__",
    "iter_findings",
    "validate",
    "validate_many",
]
