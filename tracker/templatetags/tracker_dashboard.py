"""The admin front page's panels (``tracker.admin.dashboard``), rendered into its index template."""

from django import template

from tracker.admin.dashboard import dashboard

register = template.Library()


@register.inclusion_tag("admin/tracker/dashboard.html", takes_context=True)
def tracker_dashboard(context):
    return {**dashboard(context["request"]), "perms": context.get("perms")}
