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
from lawyers.api.views import LawyerViewSet, TraineeViewSet  # noqa: E402
from pairing.api.views import (  # noqa: E402
    FirmPairingViewSet,
    PairingAgreementViewSet,
    PairingGoalViewSet,
    ProgramTargetViewSet,
    ProgressReportViewSet,
    QuotaViewSet,
    SecondmentViewSet,
    StatSnapshotViewSet,
    TrainingActivityViewSet,
)

router.register("lawyers", LawyerViewSet, basename="lawyer")
router.register("trainees", TraineeViewSet, basename="trainee")
router.register("agreements", PairingAgreementViewSet, basename="agreement")
router.register("quotas", QuotaViewSet, basename="quota")
router.register("secondments", SecondmentViewSet, basename="secondment")
router.register("training-activities", TrainingActivityViewSet, basename="training-activity")
router.register("firm-pairings", FirmPairingViewSet, basename="firm-pairing")
router.register("pairing-goals", PairingGoalViewSet, basename="pairing-goal")
router.register("progress-reports", ProgressReportViewSet, basename="progress-report")
router.register("targets", ProgramTargetViewSet, basename="target")
router.register("statistics", StatSnapshotViewSet, basename="statistic")

# --- branches and notifications ---
from branches.api.views import (  # noqa: E402
    BranchOfficeViewSet,
    CareVisitViewSet,
    PostingViewSet,
    ServiceRecordViewSet,
    SupportContractViewSet,
)
from reminders.api.views import NotificationViewSet  # noqa: E402

router.register("branch-offices", BranchOfficeViewSet, basename="branch-office")
router.register("postings", PostingViewSet, basename="posting")
router.register("service-records", ServiceRecordViewSet, basename="service-record")
router.register("support-contracts", SupportContractViewSet, basename="support-contract")
router.register("care-visits", CareVisitViewSet, basename="care-visit")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
