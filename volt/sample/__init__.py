"""Sample data in the exact real formats of the three sources (BAN, DPE, Enedis), at any scale."""

from volt.sample.generator import (
    SampleReport,
    VariantTotal,
    check_request,
    generate_sample,
    parse_years,
)
from volt.sample.output import FileWritten

__all__ = [
    "FileWritten",
    "SampleReport",
    "VariantTotal",
    "check_request",
    "generate_sample",
    "parse_years",
]
