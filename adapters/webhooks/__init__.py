"""Outbound webhooks: the httpx adapter behind the domain's WebhookSender port."""
