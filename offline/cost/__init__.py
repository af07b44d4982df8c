"""Monthly cost estimate of a stack, from the offline capture, the price file and a usage profile.

    python -m offline cost --stack prod [--usage nat_data_gb=500] [--usage-file usage.yaml] [--detail]
    python -m offline cost --stack prod --set network.natGateways=regional     # what a config edit changes
    python -m offline cost --stack dev --compare prod                            # one stack against another

Every resource the program registers is either priced (a function in `PRICERS` turns its inputs and the usage
profile into quantities of `prices.yaml` entries), free (`FREE`, with the reason), or reported as "no price":
nothing is silently counted as zero. Two columns: idle (minimum capacity, no traffic: only usage keys marked
`idle: true` apply) and with the usage profile (`usage.yaml`, defaults per environment).

What lives where:
- `offline/prices.yaml`, `offline/usage.yaml`: the data (prices per region with date and AWS source; usage keys
  with unit, default per environment, whether they apply idle). They stay in `offline/`, as the output cites them.
- `prices.py`, `usage.py`: loading those files; the usage profile with `--usage-file` and `--usage` overrides.
- `model.py`: what a pricer works with: `Charge` (a quantity of one price entry, idle and with usage),
  `Context` (usage profile, stack-wide sharing of a usage key, lookups in the capture), `flat`, `known`, `HOURS`.
- `pricing/`: the pricers, one module per area (`network`, `database`, `compute`, `edge`, `observability`,
  `security`, `storage`), each with its `PRICERS` and `FREE` tables; `pricing/__init__.py` merges them.
- `estimator.py`: walks the capture, prices each resource, totals per resource, component and stack.
- `render.py`: the text table (`--detail`), the difference of two estimates (`--compare`, `--set`), JSON.
- `cli.py`: the `cost` subcommand.

Adding the next price:
1. Add the billing dimension to `offline/prices.yaml` under a key `<service>.<dimension>` (unit, `per`, price per
   region, `read`, `source`, `note` if unconfirmed); a traffic-dependent quantity gets a key in `offline/usage.yaml`.
2. Write the pricer, `def _thing(r: Resource, ctx: Context) -> list[Charge]`, in the module of the type's AWS
   service under `pricing/` and register its pulumi-aws v7 type token in that module's `PRICERS` table (a type
   AWS does not charge for goes in its `FREE` table with the reason). A new area module is added to `AREAS` in
   `pricing/__init__.py`.
3. Extend `tests/test_cost.py`: a hand-computed test in "Arithmetic per priced type";
   `test_every_type_the_program_creates_is_priced_or_free` and `test_type_tokens_exist_in_pulumi_aws` check
   the tables.
"""

from .cli import register
from .estimator import Cost, Estimate, Line, estimate, estimate_stack, price_resource
from .model import HOURS, Charge, Context, Pricer
from .prices import GLOBAL, PRICES_FILE, Price, load_prices
from .pricing import FREE, PRICERS, free_reason
from .render import as_json, render, render_difference
from .usage import USAGE_FILE, UsageError, UsageKey, load_usage_keys, parse_usage, read_usage_file, usage_profile

__all__ = [
    "FREE", "GLOBAL", "HOURS", "PRICERS", "PRICES_FILE", "USAGE_FILE", "Charge", "Context", "Cost", "Estimate",
    "Line", "Price", "Pricer", "UsageError", "UsageKey", "as_json", "estimate", "estimate_stack", "free_reason",
    "load_prices", "load_usage_keys", "parse_usage", "price_resource", "read_usage_file", "register", "render",
    "render_difference", "usage_profile",
]
