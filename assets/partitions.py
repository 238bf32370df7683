"""Submissions are partitioned by agency: 16 static keys, the fiscal year is data."""

import dagster as dg

from stiplan.schemas.reference import AGENCIES

AGENCY_PARTITIONS = dg.StaticPartitionsDefinition([a.code for a in AGENCIES])
