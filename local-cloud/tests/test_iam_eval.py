"""IAM policy evaluation (iam_eval.py) as the IAM evaluation logic documents it: each refusal with its twin."""

from __future__ import annotations

import re

import pytest

from strata_local_cloud.iam_eval import Principal, Request, allowed, evaluate, matches

LOGS = Principal(service="logs.us-east-1.amazonaws.com")
KEY_POLICY = {"Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}, "Action": ["kms:Encrypt*", "kms:GenerateDataKey*"],
     "Resource": "*", "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}}},
]}


def test_a_service_statement_applies_to_that_service_only() -> None:
    ctx = {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:app"}
    assert evaluate(KEY_POLICY, Request(LOGS, "kms:GenerateDataKey", "k", ctx)) == "PERMITTED"
    assert evaluate(KEY_POLICY, Request(Principal(service="sns.amazonaws.com"), "kms:GenerateDataKey", "k", ctx)) == "NEUTRAL"


def test_a_condition_on_a_key_missing_from_the_request_does_not_match_and_ifexists_does() -> None:
    assert evaluate(KEY_POLICY, Request(LOGS, "kms:Encrypt", "k", {})) == "NEUTRAL"
    lenient = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
                              "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}}]}
    assert evaluate(lenient, Request(Principal(), "s3:GetObject")) == "PERMITTED"


def test_an_explicit_deny_wins_over_an_allow_and_needs_its_condition() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
                            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    assert evaluate(policy, Request(Principal(), "s3:PutObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"})) == "DENIED"
    assert evaluate(policy, Request(Principal(), "s3:PutObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "true"})) == "PERMITTED"


def test_identity_policies_need_an_allow_and_action_wildcards_ignore_case() -> None:
    docs = [{"Statement": [{"Effect": "Allow", "Action": "EC2:Create*", "Resource": "*"}]}]
    role = Principal(arn="arn:aws:iam::123456789012:role/r")
    assert allowed(docs, Request(role, "ec2:CreateNetworkInterface"), resource_policy=False)
    assert not allowed(docs, Request(role, "ec2:DeleteNetworkInterface"), resource_policy=False)


def test_not_action_and_not_resource_exclude() -> None:
    policy = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}]}
    role = Principal(arn="arn:aws:iam::123456789012:role/r")
    assert evaluate(policy, Request(role, "s3:GetObject", "arn:aws:s3:::open/k"), resource_policy=False) == "PERMITTED"
    assert evaluate(policy, Request(role, "s3:GetObject", "arn:aws:s3:::secret/k"), resource_policy=False) == "NEUTRAL"
    assert evaluate(policy, Request(role, "iam:PassRole", "arn:aws:s3:::open/k"), resource_policy=False) == "NEUTRAL"


def test_an_account_principal_stands_for_the_accounts_principals_only() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]}
    ours = Principal(arn="arn:aws:iam::123456789012:role/a", account="123456789012")
    theirs = Principal(arn="arn:aws:iam::210987654321:role/a", account="210987654321")
    assert evaluate(policy, Request(ours, "sts:AssumeRole")) == "PERMITTED"
    assert evaluate(policy, Request(theirs, "sts:AssumeRole")) == "NEUTRAL"


def test_a_condition_operator_it_does_not_evaluate_fails_loudly() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
                             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    with pytest.raises(NotImplementedError, match="IpAddress"):
        evaluate(policy, Request(Principal(), "s3:GetObject"))


@pytest.mark.parametrize(("pattern", "value", "ignore_case"), [
    ("s3:GetObject", "s3:GetObject", False), ("s3:GetObject", "s3:getobject", True), ("s3:GetObject", "s3:getobject", False),
    ("logs:Describe*", "logs:DescribeLogGroups", True), ("logs:Describe*", "LOGS:describe", True), ("logs:Describe*", "logs:Put", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", False), ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False), ("*", "", False),
    ("arn:aws:s3:::b/*/AWSLogs/1/*", "arn:aws:s3:::b/x/AWSLogs/1/y", False), ("a*b", "ab", False), ("a*b", "aXbXb", False),
    ("a*b", "ba", False), ("a*a", "a", False), ("a?c", "abc", False), ("a?c", "ac", False), ("*:Get*", "S3:GETX", True),
    ("ß*", "SS", True), ("straße", "STRASSE", True), ("a.b", "axb", False), ("a+", "aa", False), ("[ab]", "a", False),
])
def test_wildcard_matching_answers_as_the_pattern_as_a_regular_expression(pattern: str, value: str, ignore_case: bool) -> None:
    """matches() compares a pattern with no wildcard or one star as strings: the answer is the one the IAM pattern's
    regular expression gives (the form it is kept compiled in otherwise), case folding included."""
    rx = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    assert matches(pattern, value, ignore_case) == (re.fullmatch(rx, value, re.IGNORECASE if ignore_case else 0) is not None)
