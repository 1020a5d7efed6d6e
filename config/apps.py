"""The admin application with the programme's own site as the default `admin.site`."""

from django.contrib.admin.apps import AdminConfig


class PairingAdminConfig(AdminConfig):
    default_site = "config.admin.PairingAdminSite"
