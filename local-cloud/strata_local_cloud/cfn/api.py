"""CloudFormation's API on the local cloud: query-protocol requests in, the engine, XML out."""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any

from moto.core.responses import BaseResponse

from ..rules import rule
from . import protocol
from .context import acting_as, current_account
from .engine import Engine
from .errors import CloudFormationError, ValidationError
from .store import ChangeSet, Request, Stack, account_of, now

UNIMPLEMENTED = rule("loud-unimplemented-api", "loud", "*", "a CloudFormation action the local cloud does not implement: InvalidAction naming it",
                     "the local cloud's own rule (local-cloud/README.md)")
TERMINATION = rule("stack-termination-protection", "protection", "*", "deleting a stack with termination protection on",
                   "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html")

LOG = logging.getLogger("strata.cfn.api")
MODEL = protocol.service_model("cloudformation")
ENGINE: Engine | None = None


def _request(args: dict[str, Any]) -> Request:
    params: dict[str, str | None] = {}
    for p in args.get("Parameters", []):
        params[p["ParameterKey"]] = None if p.get("UsePreviousValue") else p.get("ParameterValue", "")
    return Request(body=args.get("TemplateBody", ""), params=params, tags=args.get("Tags", []), capabilities=args.get("Capabilities", []),
                   disable_rollback=bool(args.get("DisableRollback", False)), notification_arns=args.get("NotificationARNs", []),
                   disable_validation=bool(args.get("DisableValidation", False)))


class CloudFormationApi(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="cloudformation")

    @property
    def engine(self) -> Engine:
        assert ENGINE is not None, "the engine is installed before the server starts"
        return ENGINE

    def call_action(self) -> Any:
        request_id = str(uuid.uuid4())
        action = self._get_action()
        try:
            op = MODEL.operation_model(action)
        except Exception:  # noqa: BLE001 - botocore raises OperationNotFoundError
            return 400, {"Content-Type": "text/xml"}, protocol.write_error("InvalidAction", f"Unknown action {action}", request_id)
        form = {k: v[0] for k, v in self.querystring.items()}
        handler = getattr(self, f"do_{op.name}", None)
        if handler is None:
            return 400, {"Content-Type": "text/xml"}, protocol.write_error(
                "InvalidAction", f"The local cloud's CloudFormation does not implement {op.name}", request_id)
        try:
            args = protocol.parse_request(op, form)
            # Every request acts in the caller's account, as its credentials say (moto's rule: keys from STS
            # AssumeRole into a role of another account belong to that account).
            with acting_as(self.current_account):
                result = handler(args) or {}
        except CloudFormationError as error:
            return error.status, {"Content-Type": "text/xml"}, protocol.write_error(error.code, str(error), request_id, error.sender)
        except Exception as error:  # noqa: BLE001
            LOG.error("%s failed:\n%s", op.name, traceback.format_exc())
            return 500, {"Content-Type": "text/xml"}, protocol.write_error("InternalFailure", f"{type(error).__name__}: {error}", request_id, False)
        return 200, {"Content-Type": "text/xml"}, protocol.write_response(MODEL, op, result, request_id)

    # ------------------------------------------------------------ helpers
    def _body(self, args: dict[str, Any]) -> str:
        return self._canonical(self._raw_body(args))

    def _canonical(self, body: str) -> str:
        """`sam package` pointed at the local cloud writes nested TemplateURLs as http://127.0.0.1:PORT/bucket/key.
        Stored as the S3 URL AWS would have given (https://s3.REGION.amazonaws.com/bucket/key, the same object),
        so GetTemplate answers what `sam delete` and other tools expect."""
        return body.replace(self.engine.endpoint().rstrip("/") + "/", f"https://s3.{self.region}.amazonaws.com/")

    def _raw_body(self, args: dict[str, Any]) -> str:
        if args.get("TemplateBody"):
            return args["TemplateBody"]
        if args.get("TemplateURL"):
            from .providers.cloudformation import read_template_url

            try:
                return read_template_url(self.engine.provision(None, self.region), args["TemplateURL"])
            except Exception as error:
                raise ValidationError(str(error)) from error
        raise ValidationError("Either TemplateBody or TemplateURL must be specified.")

    def _stack_view(self, s: Stack) -> dict[str, Any]:
        specs = (s.template.get("Parameters") or {})
        params = []
        for k, v in s.params.items():
            entry = {"ParameterKey": k, "ParameterValue": "****" if specs.get(k, {}).get("NoEcho") in (True, "true") else v}
            resolved = self.engine.store.resolved.get((account_of(s.id), s.region, k, v))
            if resolved is not None:
                entry["ResolvedValue"] = resolved
            params.append(entry)
        view: dict[str, Any] = {
            "StackId": s.id, "StackName": s.name, "Description": s.description, "Parameters": params, "CreationTime": s.created,
            "LastUpdatedTime": s.updated, "DeletionTime": s.deleted, "StackStatus": s.status, "StackStatusReason": s.reason,
            "DisableRollback": s.disable_rollback, "Capabilities": s.capabilities, "Outputs": s.outputs, "Tags": s.tags,
            "EnableTerminationProtection": s.termination_protection, "ParentId": s.parent_id, "RootId": s.root_id if s.parent_id else None,
            "ChangeSetId": s.change_set_id, "NotificationARNs": s.notification_arns,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        return {k: v for k, v in view.items() if v is not None}

    def _resource_view(self, s: Stack, r: Any, detail: bool = False) -> dict[str, Any]:
        view = {"StackName": s.name, "StackId": s.id, "LogicalResourceId": r.logical_id, "PhysicalResourceId": r.physical_id,
                "ResourceType": r.type, "Timestamp": r.updated, "LastUpdatedTimestamp": r.updated, "ResourceStatus": r.status,
                "ResourceStatusReason": r.reason, "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"}}
        if detail:
            view["Metadata"] = "{}"
        return {k: v for k, v in view.items() if v is not None}

    # ------------------------------------------------------------ stacks
    def do_CreateStack(self, args):
        request = _request(args)
        request.body = self._body(args)
        return {"StackId": self.engine.create_stack(self.region, args["StackName"], request)}

    def do_UpdateStack(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        request = _request(args)
        request.body = stack.body if args.get("UsePreviousTemplate") else self._body(args)
        if "Tags" not in args:
            request.tags = stack.tags
        return {"StackId": self.engine.update_stack(self.region, args["StackName"], request)}

    def do_DeleteStack(self, args):
        self.engine.delete_stack(self.region, args["StackName"], args.get("RetainResources"))
        return {}

    def do_DescribeStacks(self, args):
        if args.get("StackName"):
            stack = self.engine.store.find(args["StackName"], self.region)
            return {"Stacks": [self._stack_view(stack)]}
        stacks = [s for s in self.engine.store.visible(self.region) if s.status != "DELETE_COMPLETE"]
        return {"Stacks": [self._stack_view(s) for s in stacks]}

    def do_ListStacks(self, args):
        wanted = set(args.get("StackStatusFilter", []))
        stacks = [s for s in self.engine.store.visible(self.region) if not wanted or s.status in wanted]
        return {"StackSummaries": [{k: v for k, v in {
            "StackId": s.id, "StackName": s.name, "TemplateDescription": s.description, "CreationTime": s.created,
            "LastUpdatedTime": s.updated, "DeletionTime": s.deleted, "StackStatus": s.status, "StackStatusReason": s.reason,
            "ParentId": s.parent_id, "RootId": s.root_id if s.parent_id else None}.items() if v is not None} for s in stacks]}

    def do_DescribeStackEvents(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        with self.engine.store.lock:
            events = list(reversed(stack.events))
        return {"StackEvents": [{k: v for k, v in e.items() if v is not None} for e in events]}

    def do_DescribeStackResource(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        res = stack.resources.get(args["LogicalResourceId"])
        if res is None:
            raise ValidationError(f"Resource {args['LogicalResourceId']} does not exist for stack {stack.name}")
        return {"StackResourceDetail": self._resource_view(stack, res, detail=True)}

    def do_DescribeStackResources(self, args):
        if not args.get("StackName"):
            raise ValidationError("StackName is required by the local cloud")
        stack = self.engine.store.find(args["StackName"], self.region)
        items = [r for r in stack.resources.values() if not args.get("LogicalResourceId") or r.logical_id == args["LogicalResourceId"]]
        return {"StackResources": [self._resource_view(stack, r) for r in items]}

    def do_ListStackResources(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        return {"StackResourceSummaries": [{k: v for k, v in {
            "LogicalResourceId": r.logical_id, "PhysicalResourceId": r.physical_id, "ResourceType": r.type, "LastUpdatedTimestamp": r.updated,
            "ResourceStatus": r.status, "ResourceStatusReason": r.reason}.items() if v is not None} for r in stack.resources.values()]}

    def do_GetTemplate(self, args):
        if args.get("ChangeSetName"):
            cs = self.engine.store.change_set(args["ChangeSetName"], args.get("StackName"), self.region)
            return {"TemplateBody": cs.request.body, "StagesAvailable": ["Original", "Processed"]}
        stack = self.engine.store.find(args["StackName"], self.region)
        if args.get("TemplateStage") == "Processed":
            import json

            return {"TemplateBody": json.dumps(stack.template), "StagesAvailable": ["Original", "Processed"]}
        return {"TemplateBody": stack.body, "StagesAvailable": ["Original", "Processed"]}

    def do_GetTemplateSummary(self, args):
        from . import template as tpl

        body = self.engine.store.find(args["StackName"], self.region).body if args.get("StackName") else self._body(args)
        raw = tpl.parse(body)
        return {"Parameters": [{k: v for k, v in {"ParameterKey": k, "DefaultValue": str(p["Default"]) if "Default" in p else None,
                                                    "ParameterType": p.get("Type", "String"), "NoEcho": p.get("NoEcho") in (True, "true"),
                                                    "Description": p.get("Description")}.items() if v is not None}
                               for k, p in (raw.get("Parameters") or {}).items()],
                "Description": raw.get("Description"), "DeclaredTransforms": tpl.transforms(raw),
                "ResourceTypes": sorted({r.get("Type", "") for r in raw["Resources"].values()})}

    def do_ValidateTemplate(self, args):
        from . import template as tpl

        raw = tpl.parse(self._body(args))
        return {"Parameters": [{k: v for k, v in {"ParameterKey": k, "DefaultValue": str(p["Default"]) if "Default" in p else None,
                                                    "NoEcho": p.get("NoEcho") in (True, "true"), "Description": p.get("Description")}.items()
                                if v is not None} for k, p in (raw.get("Parameters") or {}).items()],
                "Description": raw.get("Description"), "DeclaredTransforms": tpl.transforms(raw)}

    def do_UpdateTerminationProtection(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        stack.termination_protection = bool(args["EnableTerminationProtection"])
        return {"StackId": stack.id}

    def do_ListExports(self, args):
        with self.engine.store.lock:
            return {"Exports": [{"ExportingStackId": sid, "Name": name, "Value": value}
                                for (account, region, name), (sid, value) in self.engine.store.exports.items()
                                if (account, region) == (current_account(), self.region)]}

    # ------------------------------------------------------------ change sets
    def _change_set_view(self, cs: ChangeSet) -> dict[str, Any]:
        view = {"ChangeSetName": cs.name, "ChangeSetId": cs.id, "StackId": cs.stack_id, "StackName": cs.stack_name,
                "Description": cs.description, "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in cs.params.items()],
                "CreationTime": cs.created, "ExecutionStatus": cs.execution_status, "Status": cs.status, "StatusReason": cs.reason,
                "Capabilities": cs.request.capabilities, "Tags": cs.request.tags, "Changes": cs.changes,
                "IncludeNestedStacks": cs.include_nested, "ParentChangeSetId": cs.parent_id, "RootChangeSetId": cs.root_id,
                "NotificationARNs": cs.request.notification_arns}
        return {k: v for k, v in view.items() if v is not None}

    def do_CreateChangeSet(self, args):
        kind = args.get("ChangeSetType", "UPDATE")
        if kind not in ("CREATE", "UPDATE"):
            raise ValidationError(f"ChangeSetType {kind} is not supported by the local cloud (CREATE or UPDATE)")
        request = _request(args)
        existing = self.engine.store.find_live(args["StackName"], self.region)
        request.body = existing.body if args.get("UsePreviousTemplate") and existing else self._body(args)
        if "Tags" not in args and existing is not None:
            request.tags = existing.tags
        cs = self.engine.create_change_set(self.region, args["StackName"], args["ChangeSetName"], kind, request,
                                           bool(args.get("IncludeNestedStacks", False)), args.get("Description"))
        return {"Id": cs.id, "StackId": cs.stack_id}

    def do_DescribeChangeSet(self, args):
        return self._change_set_view(self.engine.store.change_set(args["ChangeSetName"], args.get("StackName"), self.region))

    def do_ExecuteChangeSet(self, args):
        cs = self.engine.store.change_set(args["ChangeSetName"], args.get("StackName"), self.region)
        self.engine.execute_change_set(cs, args.get("DisableRollback"))
        return {}

    def do_DeleteChangeSet(self, args):
        cs = self.engine.store.change_set(args["ChangeSetName"], args.get("StackName"), self.region)
        with self.engine.store.lock:
            self.engine.store.change_sets.pop(cs.id, None)
            stack = self.engine.store.stacks.get(cs.stack_id)
            if stack is not None and stack.status == "REVIEW_IN_PROGRESS" and not any(
                    c.stack_id == stack.id for c in self.engine.store.change_sets.values()):
                stack.status, stack.deleted = "DELETE_COMPLETE", now()
        return {}

    def do_DescribeEvents(self, args):
        """The events of a change set's creation: pre-deployment validation's findings (only those are kept)."""
        if not args.get("ChangeSetName"):
            raise ValidationError("The local cloud's DescribeEvents answers for a change set (ChangeSetName) only")
        cs = self.engine.store.change_set(args["ChangeSetName"], args.get("StackName"), self.region)
        return {"OperationEvents": [{"EventId": f"{cs.id}-{i}", "StackId": cs.stack_id, "Timestamp": cs.created, **e}
                                    for i, e in enumerate(cs.validation_events)]}

    def do_ListChangeSets(self, args):
        stack = self.engine.store.find(args["StackName"], self.region)
        with self.engine.store.lock:
            sets = [c for c in self.engine.store.change_sets.values() if c.stack_id == stack.id and not c.parent_id]
        return {"Summaries": [{k: v for k, v in {
            "StackId": c.stack_id, "StackName": c.stack_name, "ChangeSetId": c.id, "ChangeSetName": c.name, "ExecutionStatus": c.execution_status,
            "Status": c.status, "StatusReason": c.reason, "CreationTime": c.created, "Description": c.description,
            "IncludeNestedStacks": c.include_nested}.items() if v is not None} for c in sets]}


    # ------------------------------------------------------------ StackSets (service-managed: cfn/stacksets.py)
    def _stack_set_view(self, s: Any) -> dict[str, Any]:
        with self.engine.stack_sets.lock:
            ous = sorted(s.target_ous)
            regions = list(s.regions)
        view = {"StackSetName": s.name, "StackSetId": s.id, "Description": s.description, "Status": s.status, "TemplateBody": s.body,
                "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in s.params.items()], "Capabilities": s.capabilities,
                "Tags": s.tags, "StackSetARN": s.arn, "PermissionModel": "SERVICE_MANAGED", "AutoDeployment": s.auto_deployment,
                "ManagedExecution": s.managed_execution, "OrganizationalUnitIds": ous, "Regions": regions}
        return {k: v for k, v in view.items() if v is not None}

    def _operation_view(self, s: Any, o: Any) -> dict[str, Any]:
        view = {"OperationId": o.id, "StackSetId": s.id, "Action": o.action, "Status": o.status, "StatusReason": o.reason,
                "OperationPreferences": o.preferences, "RetainStacks": o.retain, "CreationTimestamp": o.created,
                "EndTimestamp": o.ended, "DeploymentTargets": o.targets or None}
        return {k: v for k, v in view.items() if v is not None}

    def _instance_view(self, s: Any, i: Any) -> dict[str, Any]:
        view = {"StackSetId": s.id, "Region": i.region, "Account": i.account, "StackId": i.stack_id, "Status": i.status,
                "StatusReason": i.reason, "StackInstanceStatus": {"DetailedStatus": i.detailed}, "OrganizationalUnitId": i.ou,
                "DriftStatus": "NOT_CHECKED", "LastOperationId": i.last_operation,
                "ParameterOverrides": [{"ParameterKey": k, "ParameterValue": v} for k, v in i.overrides.items()]}
        return {k: v for k, v in view.items() if v is not None}

    def do_CreateStackSet(self, args):
        s = self.engine.stack_sets.create(self.region, args, self._body(args))
        return {"StackSetId": s.id}

    def do_UpdateStackSet(self, args):
        body = None if args.get("UsePreviousTemplate") or not (args.get("TemplateBody") or args.get("TemplateURL")) else self._body(args)
        return {"OperationId": self.engine.stack_sets.update(self.region, args, body).id}

    def do_DeleteStackSet(self, args):
        self.engine.stack_sets.delete(self.region, args)
        return {}

    def do_DescribeStackSet(self, args):
        return {"StackSet": self._stack_set_view(self.engine.stack_sets.find(args["StackSetName"], self.region))}

    def do_ListStackSets(self, args):
        wanted = args.get("Status")
        return {"Summaries": [{k: v for k, v in {
            "StackSetName": s.name, "StackSetId": s.id, "Description": s.description, "Status": s.status,
            "PermissionModel": "SERVICE_MANAGED", "AutoDeployment": s.auto_deployment, "ManagedExecution": s.managed_execution}.items()
            if v is not None} for s in self.engine.stack_sets.visible(self.region) if not wanted or s.status == wanted]}

    def do_CreateStackInstances(self, args):
        return {"OperationId": self.engine.stack_sets.create_instances(self.region, args).id}

    def do_UpdateStackInstances(self, args):
        return {"OperationId": self.engine.stack_sets.update_instances(self.region, args).id}

    def do_DeleteStackInstances(self, args):
        return {"OperationId": self.engine.stack_sets.delete_instances(self.region, args).id}

    def do_ListStackInstances(self, args):
        s = self.engine.stack_sets.find(args["StackSetName"], self.region)
        with self.engine.stack_sets.lock:
            items = [i for i in s.instances.values() if args.get("StackInstanceAccount") in (None, i.account)
                     and args.get("StackInstanceRegion") in (None, i.region)]
            return {"Summaries": [self._instance_view(s, i) for i in sorted(items, key=lambda i: (i.account, i.region))]}

    def do_DescribeStackInstance(self, args):
        s, i = self.engine.stack_sets.instance(self.region, args["StackSetName"], args["StackInstanceAccount"], args["StackInstanceRegion"])
        with self.engine.stack_sets.lock:
            return {"StackInstance": self._instance_view(s, i)}

    def do_DescribeStackSetOperation(self, args):
        s, o = self.engine.stack_sets.operation(self.region, args["StackSetName"], args["OperationId"])
        with self.engine.stack_sets.lock:
            return {"StackSetOperation": self._operation_view(s, o)}

    def do_ListStackSetOperations(self, args):
        s = self.engine.stack_sets.find(args["StackSetName"], self.region)
        with self.engine.stack_sets.lock:
            ops = sorted(s.operations.values(), key=lambda o: o.created, reverse=True)
            return {"Summaries": [{k: v for k, v in self._operation_view(s, o).items()
                                   if k in ("OperationId", "Action", "Status", "StatusReason", "CreationTimestamp", "EndTimestamp",
                                            "OperationPreferences")} for o in ops]}

    def do_ListStackSetOperationResults(self, args):
        _, o = self.engine.stack_sets.operation(self.region, args["StackSetName"], args["OperationId"])
        with self.engine.stack_sets.lock:
            return {"Summaries": [{k: v for k, v in {
                "Account": r.account, "Region": r.region, "Status": r.status, "StatusReason": r.reason, "OrganizationalUnitId": r.ou,
                "AccountGateResult": {"Status": "SKIPPED", "StatusReason": "No account gate function is configured"}}.items()
                if v is not None} for r in o.results]}


def install(endpoint, dataplane: Any = None, code_dir: Any = None) -> Engine:
    """Serve CloudFormation from the engine instead of moto's own implementation."""
    global ENGINE
    import moto.cloudformation.urls as urls

    ENGINE = Engine(endpoint, dataplane, code_dir)
    from ..moto_patches.organizations import LISTENERS

    LISTENERS.append(ENGINE.stack_sets.account_moved)  # automatic deployment
    urls.url_paths["{0}/$"] = CloudFormationApi.dispatch
    return ENGINE
