"""Verification of the XAdES signatures of a PES flow."""
