"""`python -m strata_local_cloud [-H host] [-p port]`: moto's server with Strata's extensions installed."""

from __future__ import annotations

import sys

from moto.server import main as moto_main

from strata_local_cloud import rds_catalogue


def main(argv: list[str] | None = None) -> None:
    rds_catalogue.install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
