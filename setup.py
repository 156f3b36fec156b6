"""Builds the optional C extension ``pes_v2._probes``; the metadata is in setup.cfg.

Without a C compiler the build goes on without it (``optional=True``) and lxml's XPath
answers every probe (see pes_v2/probes.py)."""

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
            optional=True,
        )
    ]
)
