"""CloudFormation for the local cloud: the engine, its resource providers and the query API."""
