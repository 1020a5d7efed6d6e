"""The ONE DRF router: every app registers its viewsets here, under /api/v1/."""

from rest_framework.routers import DefaultRouter

from firms.api.views import BarAssociationViewSet, LawFirmViewSet
from regions.api.views import CountyViewSet, ProvinceViewSet

router = DefaultRouter()
router.register("provinces", ProvinceViewSet, basename="province")
router.register("counties", CountyViewSet, basename="county")
router.register("firms", LawFirmViewSet, basename="firm")
router.register("bar-associations", BarAssociationViewSet, basename="bar-association")

# --- lawyers and pairing ---

# --- branches and notifications ---

urlpatterns = router.urls
