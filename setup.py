"""Builds the optional C extensions ``pes_v2._probes`` and ``pes_v2._bytescan``; the metadata
is in setup.cfg.

Without a C compiler the build goes on without them (``optional=True``): lxml's XPath then
answers every probe (see pes_v2/probes.py) and the bytes methods scan the flow
(pes_v2/bytescan.py)."""

from setuptools import Extension, setup


def lxml_include() -> list[str]:
    """The headers lxml ships (its own and libxml2's), which the extension reads."""
    try:
        import lxml
    except ImportError:
        return []
    return list(lxml.get_include())


setup(
    ext_modules=[
        Extension(
            "pes_v2._probes",
            ["pes_v2/_probes.c"],
            include_dirs=lxml_include(),
            depends=["pes_v2/_identifiers.h"],
            optional=True,
        ),
        Extension("pes_v2._bytescan", ["pes_v2/_bytescan.c"], optional=True),
    ]
)
