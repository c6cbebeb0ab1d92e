from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('voronka', '0002_auth')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TelegramLinkToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('voronka.User', source_field='user_id', db_constraint=True, to_field='id', related_name='telegram_links', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'telegram_link_token', 'app': 'voronka', 'pk_attr': 'id', 'table_description': 'A one-time token of a Telegram deep link that binds a Telegram account to a user.'},
            bases=['Model'],
        ),
    ]
