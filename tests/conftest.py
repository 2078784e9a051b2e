"""Shared pytest fixtures come from the local cloud's plugin (`-p strata_local_cloud.testing` in pytest.ini):
`moto_server` (one local cloud per session), `aws_env`, `aws` and `deploy`."""
