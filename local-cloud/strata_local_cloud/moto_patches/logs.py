"""CloudWatch Logs: PutMetricFilter replaces the filter of the same name, as the API does.

moto 5.2.5 appends a second filter under the same name, so an update of a metric filter in place leaves the old
pattern behind. "Creates or updates a metric filter and associates it with the specified log group"
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def install(plane: DataPlane) -> None:
    from moto.logs.metric_filters import MetricFilters

    add = MetricFilters.add_filter

    def add_filter(self: Any, filter_name: str, filter_pattern: str, log_group_name: str, metric_transformations: str) -> None:
        self.metric_filters = [f for f in self.metric_filters if (f["filterName"], f["logGroupName"]) != (filter_name, log_group_name)]
        add(self, filter_name, filter_pattern, log_group_name, metric_transformations)

    MetricFilters.add_filter = add_filter  # type: ignore[method-assign]
