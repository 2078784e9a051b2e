"""Lambda functions (as the SAM transform emits them) and their event-invoke configuration.

Functions are created in the emulated Lambda service; the engine also records each one so that a
custom resource naming it as ServiceToken can be run from the same code (see ..custom).
"""

from __future__ import annotations

from . import Provider, changed, compact, found, register

_CONFIG_KEYS = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Environment", "Runtime", "KmsKeyArn", "VpcConfig",
                "LoggingConfig", "Layers", "EphemeralStorage", "TracingConfig", "DeadLetterConfig")


def _config(props):
    return compact({"Role": props.get("Role"), "Handler": props.get("Handler"), "Description": props.get("Description"),
                    "Timeout": int(props["Timeout"]) if "Timeout" in props else None,
                    "MemorySize": int(props["MemorySize"]) if "MemorySize" in props else None,
                    "Environment": props.get("Environment"), "Runtime": props.get("Runtime"), "KMSKeyArn": props.get("KmsKeyArn"),
                    "VpcConfig": props.get("VpcConfig"), "LoggingConfig": props.get("LoggingConfig"), "TracingConfig": props.get("TracingConfig")})


@register
class Function(Provider):
    type = "AWS::Lambda::Function"
    in_place = frozenset({"Code", "Architectures", "Tags", *_CONFIG_KEYS})

    name_property = "FunctionName"

    def exists(self, p, name):
        lam = p.client("lambda")
        return found(lambda: lam.get_function(FunctionName=name), lam.exceptions.ResourceNotFoundException)

    def create(self, p, logical_id, props):
        name = props.get("FunctionName") or p.name(64)
        fn = p.client("lambda").create_function(FunctionName=name, Code=props["Code"], Architectures=props.get("Architectures", ["x86_64"]),
                                                Tags={t["Key"]: t["Value"] for t in p.tags(props.get("Tags"))}, **_config(props))
        p.services.functions.register_function(fn["FunctionArn"], name, props, p.region)
        return name, {"Arn": fn["FunctionArn"]}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        client = p.client("lambda")
        if diff & set(_CONFIG_KEYS):
            client.update_function_configuration(FunctionName=physical, **_config(new))
        if diff & {"Code", "Architectures"}:
            client.update_function_code(FunctionName=physical, Architectures=new.get("Architectures", ["x86_64"]),
                                        **{k: v for k, v in new["Code"].items() if k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ZipFile")})
        if "Tags" in diff:
            client.tag_resource(Resource=attrs["Arn"], Tags={t["Key"]: t["Value"] for t in p.tags(new.get("Tags"))})
        p.services.functions.register_function(attrs["Arn"], physical, new, p.region)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("lambda").delete_function(FunctionName=physical)
        p.services.functions.forget_function(attrs["Arn"])


@register
class EventInvokeConfig(Provider):
    type = "AWS::Lambda::EventInvokeConfig"
    upsert = True

    def create(self, p, logical_id, props):
        p.client("lambda").put_function_event_invoke_config(**compact({
            "FunctionName": props["FunctionName"], "Qualifier": props["Qualifier"],
            "MaximumRetryAttempts": int(props["MaximumRetryAttempts"]) if "MaximumRetryAttempts" in props else None,
            "MaximumEventAgeInSeconds": int(props["MaximumEventAgeInSeconds"]) if "MaximumEventAgeInSeconds" in props else None,
            "DestinationConfig": props.get("DestinationConfig") or None}))
        return f"{props['FunctionName']}|{props['Qualifier']}", {}

    def delete(self, p, physical, props, attrs):
        p.client("lambda").delete_function_event_invoke_config(FunctionName=props["FunctionName"], Qualifier=props["Qualifier"])
