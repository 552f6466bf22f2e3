"""Alertmanager receiver configs passed through from the spec, checked against Alertmanager's
schema per kind: the keys it knows, their types, the keys it requires (obsgen writes no
`global:` section, so nothing may rely on a global default), URLs that must be http(s).

Only keys that every Alertmanager from 0.25 (Debian 12) to 0.33 (the stack) accepts are
allowed, so what validate accepts passes whichever `amtool check-config` runs it. Kinds newer
than 0.25 (msteams, webex) are not passed through: use `webhook_configs` for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Union

from obsgen.spec import checks
from obsgen.spec.reader import Node, describe

# A field's type: a name below, or a nested schema (mapping of key → type).
Schema = Mapping[str, Union[str, "Schema"]]

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):\d{1,5}$")
_AUTH = {"type": "str", "credentials": "str", "credentials_file": "str"}
_BASIC_AUTH = {"username": "str", "password": "str", "password_file": "str"}
_TLS = {
    "ca_file": "str",
    "cert_file": "str",
    "key_file": "str",
    "server_name": "str",
    "insecure_skip_verify": "bool",
}
HTTP_CONFIG: Schema = {
    "authorization": _AUTH,
    "basic_auth": _BASIC_AUTH,
    "bearer_token": "str",
    "bearer_token_file": "str",
    "tls_config": _TLS,
    "proxy_url": "url",
    "follow_redirects": "bool",
    "enable_http2": "bool",
}
_AUTH_METHODS = ("authorization", "basic_auth", "bearer_token", "bearer_token_file")
_COMMON: Schema = {"send_resolved": "bool", "http_config": HTTP_CONFIG}


def _kind(**fields: str | Schema) -> Schema:
    return {**_COMMON, **fields}


_TEXT = "str"
KINDS: Mapping[str, Schema] = {
    "webhook_configs": _kind(url="url", max_alerts="count"),
    "slack_configs": _kind(
        api_url="url",
        channel=_TEXT,
        username=_TEXT,
        color=_TEXT,
        title=_TEXT,
        title_link=_TEXT,
        pretext=_TEXT,
        text=_TEXT,
        footer=_TEXT,
        fallback=_TEXT,
        callback_id=_TEXT,
        icon_emoji=_TEXT,
        icon_url=_TEXT,
        image_url=_TEXT,
        thumb_url=_TEXT,
        short_fields="bool",
        link_names="bool",
    ),
    "pagerduty_configs": _kind(
        routing_key=_TEXT,
        service_key=_TEXT,
        url="url",
        client=_TEXT,
        client_url=_TEXT,
        description=_TEXT,
        severity=_TEXT,
        source=_TEXT,
        component=_TEXT,
        group=_TEXT,
        details="map",
        **{"class": _TEXT},
    ),
    "email_configs": {
        "send_resolved": "bool",
        "to": _TEXT,
        "from": _TEXT,
        "smarthost": "host_port",
        "hello": _TEXT,
        "auth_username": _TEXT,
        "auth_password": _TEXT,
        "auth_secret": _TEXT,
        "auth_identity": _TEXT,
        "headers": "map",
        "html": _TEXT,
        "text": _TEXT,
        "require_tls": "bool",
    },
    "opsgenie_configs": _kind(
        api_key=_TEXT,
        api_url="url",
        message=_TEXT,
        description=_TEXT,
        source=_TEXT,
        details="map",
        entity=_TEXT,
        tags=_TEXT,
        note=_TEXT,
        priority=_TEXT,
        update_alerts="bool",
    ),
    "discord_configs": _kind(webhook_url="url", title=_TEXT, message=_TEXT),
    "telegram_configs": _kind(
        api_url="url",
        bot_token=_TEXT,
        chat_id="int",
        message=_TEXT,
        disable_notifications="bool",
        parse_mode=_TEXT,
    ),
    "pushover_configs": _kind(
        user_key=_TEXT,
        token=_TEXT,
        title=_TEXT,
        message=_TEXT,
        url="url",
        url_title=_TEXT,
        sound=_TEXT,
        priority=_TEXT,
        retry="duration",
        expire="duration",
        html="bool",
    ),
    "victorops_configs": _kind(
        api_key=_TEXT,
        api_url="url",
        routing_key=_TEXT,
        message_type=_TEXT,
        entity_display_name=_TEXT,
        state_message=_TEXT,
        monitoring_tool=_TEXT,
        custom_fields="map",
    ),
    "sns_configs": _kind(
        api_url="url",
        topic_arn=_TEXT,
        phone_number=_TEXT,
        target_arn=_TEXT,
        subject=_TEXT,
        message=_TEXT,
        attributes="map",
    ),
    "wechat_configs": _kind(
        api_secret=_TEXT,
        api_url="url",
        corp_id=_TEXT,
        message=_TEXT,
        message_type=_TEXT,
        agent_id=_TEXT,
        to_user=_TEXT,
        to_party=_TEXT,
        to_tag=_TEXT,
    ),
}
REQUIRED: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "webhook_configs": (("url",),),
    "slack_configs": (("api_url",),),
    "pagerduty_configs": (("routing_key", "service_key"),),
    "email_configs": (("to",), ("from",), ("smarthost",)),
    "opsgenie_configs": (("api_key",),),
    "discord_configs": (("webhook_url",),),
    "telegram_configs": (("bot_token",), ("chat_id",)),
    "pushover_configs": (("user_key",), ("token",)),
    "victorops_configs": (("api_key",), ("routing_key",)),
    "sns_configs": (("topic_arn", "phone_number", "target_arn"),),
    "wechat_configs": (("api_secret",), ("corp_id",)),
}


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _type_problem(kind: str, value: Any) -> str | None:
    """What is wrong with ``value`` as a field of type ``kind``."""
    if kind == "str":
        return None if _scalar(value) else f"must be a string, got {describe(value)}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"must be true or false, got {describe(value)}"
    if kind in ("int", "count"):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
            return f"must be an integer, got {describe(value)}"
        return "must be zero or more" if kind == "count" and value < 0 else None
    if not isinstance(value, str):
        if kind == "map":
            ok = isinstance(value, dict) and all(_scalar(v) for v in value.values())
            return None if ok else f"must be a mapping of strings, got {describe(value)}"
        return f"must be a string, got {describe(value)}"
    if kind == "url":
        return checks.url(value)
    if kind == "duration":
        return checks.duration(value)
    if kind == "host_port":
        return None if _HOST_PORT.match(value) else f"{value!r} must be host:port"
    return f"must be a mapping, got {describe(value)}"


def _check_mapping(node: Node, schema: Schema) -> None:
    node.check_keys(tuple(schema))
    for key, kind in schema.items():
        if key not in node.data:
            continue
        if not isinstance(kind, str):
            if (child := node.child(key)) is not None:
                _check_mapping(child, kind)
                if kind is HTTP_CONFIG and sum(k in child.data for k in _AUTH_METHODS) > 1:
                    child.error(
                        _AUTH_METHODS[0], f"at most one of {', '.join(_AUTH_METHODS)} may be set"
                    )
        elif (problem := _type_problem(kind, node.data[key])) is not None:
            node.error(key, problem)


def check_configs(receiver: Node, key: str) -> bool:
    """Report every problem of ``receiver[key]``; True when it may be passed through."""
    value = receiver.data.get(key)
    if not isinstance(value, list) or not value:
        receiver.error(key, f"must be a non-empty list of mappings, got {describe(value)}")
        return False
    before = len(receiver.reader.problems)
    items = list(receiver.items(key))
    for config, _ in items:
        _check_mapping(config, KINDS[key])
        for alternatives in REQUIRED[key]:
            if not any(config.data.get(k) not in (None, "") for k in alternatives):
                others = f" (or {', '.join(alternatives[1:])})" if len(alternatives) > 1 else ""
                config.reader.error(
                    config.data.line, config.sub_path(alternatives[0]), f"is required{others}"
                )
    return len(items) == len(value) and len(receiver.reader.problems) == before
