from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0011_client_subscriptions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Deal',
            name='deadline_noticed_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Deal',
            name='deadline_warned_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Deal',
            name='quiet_noticed_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Deal',
            name='stage_escalated_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Deal',
            name='stage_noticed_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['deadline']),
        ),
        ops.AddField(
            model_name='Lead',
            name='deadline_noticed_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Lead',
            name='deadline_warned_for',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['deadline']),
        ),
        ops.AddField(
            model_name='Task',
            name='escalate_pending_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Task',
            name='remind_pending_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='digest_enabled',
            # A column default: every installation has users when it upgrades.
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='User',
            name='digest_minute',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='digest_sent_on',
            field=fields.DateField(null=True),
        ),
        # Open tasks of an existing database join the clock's work list: their reminders fire (a
        # reminder already past fires once, late) and an overdue task escalates once.
        ops.RunSQL(
            "UPDATE task SET remind_pending_at = remind_at, escalate_pending_at = due_at "
            "WHERE status = 'open'",
            reverse_sql="",
        ),
    ]
