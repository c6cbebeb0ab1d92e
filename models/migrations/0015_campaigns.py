from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from models.entities.enums import CampaignState, RecipientState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0014_absence_and_kpi')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=now, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('purpose', fields.CharField(max_length=64)),
                ('audience', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('state', fields.CharEnumField(default=CampaignState.DRAFT, description='DRAFT: draft\nRUNNING: running\nPAUSED: paused\nDONE: done\nCANCELLED: cancelled', enum_type=CampaignState, max_length=16)),
                ('office', fields.ForeignKeyField('voronka.Office', source_field='office_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('voronka.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('total', fields.IntField(default=0)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaign', 'app': 'voronka', 'indexes': [Index(fields=['office_id', 'id']), Index(fields=['created_by_id']), Index(fields=['state'])], 'pk_attr': 'id', 'table_description': 'A bulk send of the templates of one `purpose` to the contacts `audience` selects.'},
            bases=['Versioned'],
        ),
        ops.CreateModel(
            name='CampaignRecipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('voronka.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('voronka.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='campaign_recipients', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(default=RecipientState.PENDING, description='PENDING: pending\nQUEUED: queued\nCANCELLED: cancelled', enum_type=RecipientState, max_length=16)),
                ('message', fields.ForeignKeyField('voronka.OutboundMessage', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='campaign_recipients', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaign_recipient', 'app': 'voronka', 'unique_together': (('campaign_id', 'contact_id'),), 'indexes': [Index(fields=['campaign_id', 'state', 'id']), Index(fields=['contact_id']), Index(fields=['message_id'])], 'pk_attr': 'id', 'table_description': 'One contact of a started campaign: pending until fed into the outbox, then queued with'},
            bases=['Model'],
        ),
        ops.RemoveIndex(
            model_name='OutboundMessage',
            name=None,
            fields=['state', 'next_attempt_at'],
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='campaign',
            field=fields.ForeignKeyField('voronka.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='OutboundMessage',
            index=Index(fields=['channel', 'next_attempt_at']),
        ),
        ops.AddIndex(
            model_name='OutboundMessage',
            index=Index(fields=['campaign_id', 'state']),
        ),
    ]
