"""The embedded default PES V2 schema set, written by the pes-v2 project."""
