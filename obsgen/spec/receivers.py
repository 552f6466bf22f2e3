"""Alertmanager receiver configs passed through from the spec, checked against Alertmanager's
schema for each kind: keys it knows, keys it requires (obsgen writes no `global:` section, so
nothing may rely on a global default), URL fields that must be http(s)."""

from __future__ import annotations

from dataclasses import dataclass

from obsgen.spec import checks
from obsgen.spec.reader import Node, describe


@dataclass(frozen=True)
class Kind:
    keys: tuple[str, ...]  # every key Alertmanager accepts besides send_resolved / http_config
    required: tuple[tuple[str, ...], ...] = ()  # each tuple: one of these keys must be set
    urls: tuple[str, ...] = ()


KINDS = {
    "webhook_configs": Kind(("url", "url_file", "max_alerts", "timeout"), (("url", "url_file"),),
                            ("url",)),
    "slack_configs": Kind(("api_url", "api_url_file", "channel", "username", "color", "title",
                           "title_link", "pretext", "text", "fields", "short_fields", "footer",
                           "fallback", "callback_id", "icon_emoji", "icon_url", "image_url",
                           "thumb_url", "link_names", "mrkdwn_in", "actions"),
                          (("api_url", "api_url_file"),), ("api_url",)),
    "pagerduty_configs": Kind(("routing_key", "routing_key_file", "service_key",
                               "service_key_file", "url", "client", "client_url", "description",
                               "details", "images", "links", "source", "severity", "class",
                               "component", "group"),
                              (("routing_key", "routing_key_file", "service_key",
                                "service_key_file"),), ("url",)),
    "email_configs": Kind(("to", "from", "hello", "smarthost", "auth_username", "auth_password",
                           "auth_password_file", "auth_secret", "auth_identity", "headers",
                           "html", "text", "require_tls", "tls_config"),
                          (("to",), ("from",), ("smarthost",))),
    "opsgenie_configs": Kind(("api_key", "api_key_file", "api_url", "message", "description",
                              "source", "details", "entity", "responders", "actions", "tags",
                              "note", "priority", "update_alerts"),
                             (("api_key", "api_key_file"),), ("api_url",)),
    "discord_configs": Kind(("webhook_url", "title", "message"), (("webhook_url",),),
                            ("webhook_url",)),
    "msteams_configs": Kind(("webhook_url", "title", "summary", "text"), (("webhook_url",),),
                            ("webhook_url",)),
    "telegram_configs": Kind(("api_url", "bot_token", "bot_token_file", "chat_id", "message",
                              "disable_notifications", "parse_mode"),
                             (("bot_token", "bot_token_file"), ("chat_id",)), ("api_url",)),
    "pushover_configs": Kind(("user_key", "user_key_file", "token", "token_file", "title",
                              "message", "url", "url_title", "device", "sound", "priority",
                              "retry", "expire", "html"),
                             (("user_key", "user_key_file"), ("token", "token_file"))),
    "victorops_configs": Kind(("api_key", "api_key_file", "api_url", "routing_key",
                               "message_type", "entity_display_name", "state_message",
                               "monitoring_tool", "custom_fields"),
                              (("api_key", "api_key_file"), ("routing_key",)), ("api_url",)),
    "sns_configs": Kind(("api_url", "sigv4", "topic_arn", "phone_number", "target_arn",
                         "subject", "message", "attributes"),
                        (("topic_arn", "phone_number", "target_arn"),), ("api_url",)),
    "webex_configs": Kind(("api_url", "room_id", "message"), (("room_id",),), ("api_url",)),
    "wechat_configs": Kind(("api_secret", "api_url", "corp_id", "message", "message_type",
                            "agent_id", "to_user", "to_party", "to_tag"),
                           (("api_secret",), ("corp_id",)), ("api_url",)),
}
COMMON = ("send_resolved", "http_config")


def check_configs(receiver: Node, key: str) -> bool:
    """Report every problem of ``receiver[key]``; True when it may be passed through."""
    kind = KINDS[key]
    value = receiver.data.get(key)
    if not isinstance(value, list) or not value:
        receiver.error(key, f"must be a non-empty list of mappings, got {describe(value)}")
        return False
    before = len(receiver.reader.problems)
    items = list(receiver.items(key))
    if len(items) != len(value):
        return False  # items() reported the entries that are not mappings
    for config, _ in items:
        config.check_keys(COMMON + kind.keys)
        for alternatives in kind.required:
            if not any(config.data.get(k) not in (None, "") for k in alternatives):
                config.reader.error(config.data.line, config.sub_path(alternatives[0]),
                                    "is required" + (f" (or {', '.join(alternatives[1:])})"
                                                     if len(alternatives) > 1 else ""))
        config.get("send_resolved", bool, None)
        for field in ("http_config", "tls_config", "headers", "details", "sigv4", "attributes"):
            if field in config.data:
                config.get(field, dict, None)
        for field in kind.urls:
            config.get(field, str, None, checks.url)
    return len(receiver.reader.problems) == before
