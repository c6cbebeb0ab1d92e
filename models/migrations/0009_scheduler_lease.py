from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('voronka', '0008_outbox_and_templates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SchedulerLease',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('holder', fields.CharField(max_length=200)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('renewed_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'scheduler_lease', 'app': 'voronka', 'pk_attr': 'id', 'table_description': 'A named lease held by one process at a time, for electing the scheduler leader.'},
            bases=['Model'],
        ),
    ]
