from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from models.entities.enums import Channel, ConsentPurpose, MessageState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0007_indexes_on_foreign_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Template',
            fields=[
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=now, db_index=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharField(max_length=64)),
                ('channel', fields.CharEnumField(description='TELEGRAM: telegram\nWHATSAPP: whatsapp\nSMS: sms\nEMAIL: email\nPUSH: push', enum_type=Channel, max_length=16)),
                ('language', fields.CharField(max_length=2)),
                ('consent_purpose', fields.CharEnumField(default=ConsentPurpose.SERVICE, description='SERVICE: service\nMARKETING: marketing', enum_type=ConsentPurpose, max_length=16)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('text_body', fields.TextField(default='', unique=False)),
                ('content_sid', fields.CharField(null=True, max_length=64)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'message_template', 'app': 'voronka', 'unique_together': (('purpose', 'channel', 'language'),), 'pk_attr': 'id', 'table_description': 'A message template for one purpose, channel and language, rendered with sandboxed Jinja2.'},
            bases=['Versioned'],
        ),
        ops.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='TELEGRAM: telegram\nWHATSAPP: whatsapp\nSMS: sms\nEMAIL: email\nPUSH: push', enum_type=Channel, max_length=16)),
                ('address', fields.CharField(default='', max_length=255)),
                ('contact', fields.ForeignKeyField('voronka.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='outbound_messages', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('voronka.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='outbound_messages', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(default='', max_length=64)),
                ('language', fields.CharField(default='ru', max_length=2)),
                ('consent_purpose', fields.CharEnumField(default=ConsentPurpose.SERVICE, description='SERVICE: service\nMARKETING: marketing', enum_type=ConsentPurpose, max_length=16)),
                ('template', fields.ForeignKeyField('voronka.Template', source_field='template_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('body', fields.TextField(default='', unique=False)),
                ('text_body', fields.TextField(default='', unique=False)),
                ('payload', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('dedup_key', fields.CharField(unique=True, max_length=255)),
                ('state', fields.CharEnumField(default=MessageState.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nDELIVERED: delivered\nREAD: read\nFAILED: failed\nDEAD: dead\nCANCELLED: cancelled', enum_type=MessageState, max_length=16)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('provider_message_id', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('fallback_of', fields.ForeignKeyField('voronka.OutboundMessage', source_field='fallback_of_id', null=True, db_constraint=True, to_field='id', related_name='fallbacks', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'outbound_message', 'app': 'voronka', 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['state', 'id']), Index(fields=['contact_id', 'created_at']), Index(fields=['user_id']), Index(fields=['template_id']), Index(fields=['fallback_of_id']), Index(fields=['provider_message_id'])], 'pk_attr': 'id', 'table_description': 'One message to one address through one channel: the outbox row the relay delivers.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contact',
            name='language',
            field=fields.CharField(null=True, max_length=2),
        ),
    ]
