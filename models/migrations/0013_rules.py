from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from models.entities.enums import DeliveryState, RuleEntity, RunOutcome
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0012_clock_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Rule',
            fields=[
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=now, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('entity', fields.CharEnumField(description='DEAL: deal\nLEAD: lead\nCONTACT: contact\nTASK: task\nORDER: order', enum_type=RuleEntity, max_length=16)),
                ('trigger', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('conditions', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('actions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('is_active', fields.BooleanField(default=True)),
                ('office', fields.ForeignKeyField('voronka.Office', source_field='office_id', null=True, db_constraint=True, to_field='id', related_name='rules', on_delete=OnDelete.RESTRICT)),
                ('checked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'automation_rule', 'app': 'voronka', 'indexes': [Index(fields=['entity', 'is_active']), Index(fields=['office_id'])], 'pk_attr': 'id', 'table_description': 'An automation rule: when `trigger` happens to a record of `entity` and `conditions` hold,'},
            bases=['Versioned'],
        ),
        ops.CreateModel(
            name='RuleRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('voronka.Rule', source_field='rule_id', db_constraint=True, to_field='id', related_name='runs', on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharEnumField(description='DEAL: deal\nLEAD: lead\nCONTACT: contact\nTASK: task\nORDER: order', enum_type=RuleEntity, max_length=16)),
                ('record_id', fields.IntField()),
                ('event', fields.CharField(max_length=32)),
                ('dedup_key', fields.CharField(null=True, unique=True, max_length=200)),
                ('outcome', fields.CharEnumField(description='OK: ok\nFAILED: failed\nSKIPPED: skipped\nDEAD: dead', enum_type=RunOutcome, max_length=8)),
                ('results', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('error', fields.TextField(default='', unique=False)),
                ('attempts', fields.SmallIntField(default=1)),
                ('depth', fields.SmallIntField(default=0)),
                ('dry_run', fields.BooleanField(default=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rule_run', 'app': 'voronka', 'indexes': [Index(fields=['rule_id', 'id']), Index(fields=['outcome', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One run of a rule on one record: the event that caused it, the outcome, what each action'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('voronka.RuleRun', source_field='run_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('action_index', fields.SmallIntField(default=0)),
                ('url', fields.CharField(max_length=2000)),
                ('body', fields.TextField(unique=False)),
                ('dedup_key', fields.CharField(unique=True, max_length=200)),
                ('state', fields.CharEnumField(default=DeliveryState.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed\nDEAD: dead', enum_type=DeliveryState, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status', fields.SmallIntField(null=True)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'voronka', 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['run_id'])], 'pk_attr': 'id', 'table_description': 'A signed POST a rule asked for, delivered by the clock outside any transaction.'},
            bases=['Model'],
        ),
    ]
