"""Blueprints of the dashboard and of the Magento JSON API."""
