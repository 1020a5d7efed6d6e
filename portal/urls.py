from django.urls import path

from .views import branches, home, notifications, pairings, secondments, trainees

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    # notifications inbox
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        notifications.mark_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        notifications.mark_all_read,
        name="notifications_read_all",
    ),
    # trainees and secondments
    path("trainees/", trainees.trainee_list, name="trainees"),
    path("trainees/nominate/", trainees.trainee_nominate, name="trainee_nominate"),
    path("trainees/<int:pk>/", trainees.trainee_detail, name="trainee_detail"),
    path("secondments/", secondments.secondment_list, name="secondments"),
    path("secondments/calendar/", secondments.secondment_calendar, name="secondment_calendar"),
    path("secondments/<int:pk>/", secondments.secondment_detail, name="secondment_detail"),
    path(
        "secondments/<int:pk>/activities/add/",
        secondments.secondment_activity_add,
        name="secondment_activity_add",
    ),
    path(
        "secondments/<int:pk>/evaluate/",
        secondments.secondment_evaluate,
        name="secondment_evaluate",
    ),
    path(
        "secondments/<int:pk>/sign-off/",
        secondments.secondment_sign_off,
        name="secondment_sign_off",
    ),
    # firm pairings and progress reports
    path("pairings/", pairings.pairing_list, name="pairings"),
    path("pairings/<int:pk>/", pairings.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/reports/new/", pairings.report_new, name="report_new"),
    path("reports/<int:pk>/edit/", pairings.report_edit, name="report_edit"),
    path("reports/<int:pk>/submit/", pairings.report_submit, name="report_submit"),
    # branch offices
    path("branches/", branches.branch_list, name="branches"),
    path("branches/<int:pk>/", branches.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/postings/add/", branches.posting_add, name="posting_add"),
    path(
        "branches/<int:pk>/postings/<int:posting_pk>/end/",
        branches.posting_end,
        name="posting_end",
    ),
    path(
        "branches/<int:pk>/services/add/",
        branches.service_record_add,
        name="service_record_add",
    ),
    path("branches/<int:pk>/visits/add/", branches.care_visit_add, name="care_visit_add"),
    path(
        "branches/<int:pk>/contracts/add/",
        branches.support_contract_add,
        name="support_contract_add",
    ),
]
