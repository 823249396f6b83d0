"""``{% tracker_nav_sidebar %}``: the admin's sidebar (``admin/nav_sidebar.html``), rendered once per
set of permissions, language and current list and then reused (``tracker.admin.caching``)."""

from django import template

from tracker.admin.caching import nav_sidebar_html

register = template.Library()


@register.simple_tag(takes_context=True)
def tracker_nav_sidebar(context):
    return nav_sidebar_html(context)
