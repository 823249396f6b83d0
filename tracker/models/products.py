"""Products the measures name or hit: chips, models, frameworks, apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.choices import ProductKind
from tracker.models.base import ReviewedModel, SlugKeyedModel
from tracker.models.rules import in_vocabulary


class Product(ReviewedModel, SlugKeyedModel):
    """A chip, model, framework or app that measures name, support or hit (Ascend 910B, H20,
    CUDA, MindSpore, the DeepSeek app), so that "every measure touching the H20" is a query."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=ProductKind.choices)
    maker = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("maker"),
        null=True,
        blank=True,
        # A maker with products is kept: the products would lose who makes them.
        on_delete=models.PROTECT,
        related_name="products",
        help_text=_("The company that makes or publishes it."),
    )
    layer = models.ForeignKey(
        "tracker.StackLayer",
        verbose_name=_("layer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text=_("The layer of the AI stack it belongs to."),
    )
    description = models.TextField(
        verbose_name=_("description"), blank=True, help_text=_("One or two sentences on what it is.")
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name_en"]
        constraints = [
            in_vocabulary("product_kind_known", "kind", ProductKind, _("product kind")),
            *ReviewedModel.editorial_constraints("product"),
        ]

    def __str__(self):
        return self.name_en
