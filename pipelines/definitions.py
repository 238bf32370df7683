"""The code location: every asset, check, job, sensor and resource of stiplan.

The data flows intake → plan → outputs (assets/intake.py, assets/plan.py,
assets/outputs.py); the `stiplan` resource says where the inbox and the warehouse are.
"""

import dagster as dg

from stiplan.assets.intake import (
    agency_intake,
    agency_submissions,
    current_submission,
    unrouted_files,
)
from stiplan.assets.outputs import OUTPUT_ASSETS
from stiplan.assets.partitions import SUBMISSION_PARTITIONS
from stiplan.assets.plan import plan_checks, published_plan, working_plan
from stiplan.assets.resources import StiplanConfig
from stiplan.sensors import inbox_sensor

AGENCY_ASSETS = [agency_intake, agency_submissions]
PLAN_ASSETS = [unrouted_files, working_plan, published_plan]

ingest_agencies = dg.define_asset_job(
    "ingest_agencies",
    selection=dg.AssetSelection.assets(*AGENCY_ASSETS)
    | dg.AssetSelection.checks_for_assets(agency_submissions),
    partitions_def=SUBMISSION_PARTITIONS,
    description="Route, register, parse and validate the inbox files of the selected agencies.",
)
write_outputs = dg.define_asset_job(
    "write_outputs",
    selection=dg.AssetSelection.assets(*OUTPUT_ASSETS),
    description="Write the plan books, agency feedback and province extracts.",
)
build_plan = dg.define_asset_job(
    "build_plan",
    selection=dg.AssetSelection.assets(*PLAN_ASSETS)
    | dg.AssetSelection.checks_for_assets(working_plan),
    description="Record unrouted files, merge, audit and publish the plan.",
)

# Declarative automation, on by default (Dagster's own sensor for it starts stopped).
automation = dg.AutomationConditionSensorDefinition(
    "plan_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=2,
)

defs = dg.Definitions(
    assets=[*AGENCY_ASSETS, *PLAN_ASSETS, *OUTPUT_ASSETS],
    asset_checks=[current_submission, plan_checks],
    jobs=[ingest_agencies, build_plan, write_outputs],
    sensors=[inbox_sensor, automation],
    resources={"stiplan": StiplanConfig.from_environment()},
    # One process: DuckDB allows one writer per file, and step start-up stays cheap.
    executor=dg.in_process_executor,
)
