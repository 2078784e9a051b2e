"""Errors the local cloud's CloudFormation answers with, as AWS names them."""

from __future__ import annotations


class CloudFormationError(Exception):
    code = "InternalFailure"
    status = 500
    sender = False


class ValidationError(CloudFormationError):
    code = "ValidationError"
    status = 400
    sender = True


class AlreadyExists(CloudFormationError):
    code = "AlreadyExistsException"
    status = 400
    sender = True


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"
    status = 404
    sender = True


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"
    status = 400
    sender = True


class StackSetNotFound(CloudFormationError):
    code = "StackSetNotFoundException"
    status = 404
    sender = True


class StackSetNotEmpty(CloudFormationError):
    code = "StackSetNotEmptyException"
    status = 409
    sender = True


class StackInstanceNotFound(CloudFormationError):
    code = "StackInstanceNotFoundException"
    status = 404
    sender = True


class OperationNotFound(CloudFormationError):
    code = "OperationNotFoundException"
    status = 404
    sender = True


class NameAlreadyExists(AlreadyExists):
    code = "NameAlreadyExistsException"


class OperationInProgress(CloudFormationError):
    code = "OperationInProgressException"
    status = 409
    sender = True


class ResourceFailure(Exception):
    """A resource handler failed; the message becomes the resource's status reason. `physical` names what the
    handler had already made (a custom resource's answer, a nested stack), so the rollback deletes it."""

    def __init__(self, message: str, physical: str | None = None) -> None:
        super().__init__(message)
        self.physical = physical


class ResourceError(Exception):
    """The engine's record of one resource that failed (or was cancelled because another failed): the stack's
    status reason names it."""

    def __init__(self, logical_id: str, reason: str, cancelled: bool = False) -> None:
        super().__init__(reason)
        self.logical_id, self.reason, self.cancelled = logical_id, reason, cancelled


class Unsupported(ResourceFailure):
    """A resource type or property the local cloud cannot create: the deploy fails, nothing is skipped."""
