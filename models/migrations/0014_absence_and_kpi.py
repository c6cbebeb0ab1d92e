from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from models.entities.enums import KpiLevel, KpiMetric, KpiMode, KpiRecipient, KpiSubject
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0013_rules')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Handover',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('absence', fields.ForeignKeyField('voronka.Absence', source_field='absence_id', db_constraint=True, to_field='id', related_name='handovers', on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharField(max_length=16)),
                ('entity_id', fields.IntField()),
                ('title', fields.CharField(default='', max_length=300)),
                ('from_user', fields.ForeignKeyField('voronka.User', source_field='from_user_id', db_constraint=True, to_field='id', related_name='handed_over', on_delete=OnDelete.CASCADE)),
                ('to_user', fields.ForeignKeyField('voronka.User', source_field='to_user_id', db_constraint=True, to_field='id', related_name='taken_over', on_delete=OnDelete.CASCADE)),
                ('moved_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(null=True, max_length=16)),
            ],
            options={'table': 'handover', 'app': 'voronka', 'unique_together': (('absence_id', 'entity', 'entity_id'),), 'indexes': [Index(fields=['to_user_id']), Index(fields=['from_user_id']), Index(fields=['entity', 'entity_id'])], 'pk_attr': 'id', 'table_description': 'One item (task, deal or lead) moved from an absent user to a substitute.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KpiDefinition',
            fields=[
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=now, db_index=True, auto_now=False, auto_now_add=False)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('metric', fields.CharEnumField(description='INTERACTIONS: interactions\nCALLS: calls\nMEETINGS: meetings\nVISITS: visits\nNEW_DEALS: new_deals\nDEALS_WON: deals_won\nREVENUE: revenue', enum_type=KpiMetric, max_length=32)),
                ('subject', fields.CharEnumField(default=KpiSubject.USER, description='USER: user\nOFFICE: office', enum_type=KpiSubject, max_length=16)),
                ('mode', fields.CharEnumField(default=KpiMode.PACE, description='PACE: pace\nMINIMUM: minimum', enum_type=KpiMode, max_length=16)),
                ('warning', fields.BigIntField()),
                ('critical', fields.BigIntField()),
                ('office', fields.ForeignKeyField('voronka.Office', source_field='office_id', null=True, db_constraint=True, to_field='id', related_name='kpi_definitions', on_delete=OnDelete.CASCADE)),
                ('grace_days', fields.IntField(default=3)),
                ('notify', fields.CharEnumField(default=KpiRecipient.BOTH, description='USER: user\nHEAD: head\nBOTH: both\nNONE: none', enum_type=KpiRecipient, max_length=16)),
                ('task_for', fields.CharEnumField(default=KpiRecipient.USER, description='USER: user\nHEAD: head\nBOTH: both\nNONE: none', enum_type=KpiRecipient, max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'kpi_definition', 'app': 'voronka', 'indexes': [Index(fields=['office_id'])], 'pk_attr': 'id', 'table_description': 'A KPI: a metric measured per user or per office over a calendar month, with warning and'},
            bases=['Timestamped'],
        ),
        ops.CreateModel(
            name='KpiBreach',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('definition', fields.ForeignKeyField('voronka.KpiDefinition', source_field='definition_id', db_constraint=True, to_field='id', related_name='breaches', on_delete=OnDelete.CASCADE)),
                ('subject_key', fields.CharField(max_length=32)),
                ('user', fields.ForeignKeyField('voronka.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='kpi_breaches', on_delete=OnDelete.CASCADE)),
                ('office', fields.ForeignKeyField('voronka.Office', source_field='office_id', null=True, db_constraint=True, to_field='id', related_name='kpi_breaches', on_delete=OnDelete.CASCADE)),
                ('period_start', fields.DateField()),
                ('level', fields.CharEnumField(description='OK: ok\nWARNING: warning\nCRITICAL: critical', enum_type=KpiLevel, max_length=16)),
                ('value', fields.BigIntField()),
                ('target', fields.BigIntField(null=True)),
                ('expected', fields.BigIntField()),
                ('detected_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('task', fields.ForeignKeyField('voronka.Task', source_field='task_id', null=True, db_constraint=True, to_field='id', related_name='kpi_breaches', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'kpi_breach', 'app': 'voronka', 'unique_together': (('definition_id', 'subject_key', 'period_start', 'level'),), 'indexes': [Index(fields=['user_id', 'period_start']), Index(fields=['office_id', 'period_start']), Index(fields=['task_id'])], 'pk_attr': 'id', 'table_description': 'A KPI found below a threshold for a user or an office in a period, once per level.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Absence',
            options={'table': 'absence', 'app': 'voronka', 'indexes': [Index(fields=['user_id', 'starts_at']), Index(fields=['starts_at']), Index(fields=['ends_at']), Index(fields=['deputy_id']), Index(fields=['created_by_id'])], 'pk_attr': 'id', 'table_description': 'A planned or sudden absence of a user, from `starts_at` to `ends_at`.'},
        ),
        ops.AddField(
            model_name='Absence',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Absence',
            name='created_by',
            field=fields.ForeignKeyField('voronka.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='absences_declared', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Absence',
            name='handed_over_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Absence',
            name='offered_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Absence',
            name='settled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Absence',
            name='settlement',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Absence',
            name='sudden',
            # A column default: absences written before this migration are planned ones.
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddIndex(
            model_name='Absence',
            index=Index(fields=['starts_at']),
        ),
        ops.AddIndex(
            model_name='Absence',
            index=Index(fields=['ends_at']),
        ),
        ops.AddIndex(
            model_name='Absence',
            index=Index(fields=['deputy_id']),
        ),
        ops.AddIndex(
            model_name='Absence',
            index=Index(fields=['created_by_id']),
        ),
        ops.RemoveIndex(
            model_name='Plan',
            name=None,
            fields=['user_id'],
        ),
        ops.RemoveIndex(
            model_name='Plan',
            name=None,
            fields=['office_id'],
        ),
        # Plan.target was a decimal, which SQLite keeps as text: a whole number in the metric's
        # unit (a count, or kopecks for revenue) stays exact (ADR 0003, ADR 0021). No operation
        # wrote plans before this migration, so the column is replaced rather than converted.
        ops.RemoveField(model_name='Plan', name='target'),
        ops.AddField(
            model_name='Plan',
            name='target',
            field=fields.BigIntField(),
        ),
        ops.AddField(
            model_name='Plan',
            name='currency',
            field=fields.CharField(default='RUB', max_length=3),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['user_id', 'metric', 'period_start']),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['office_id', 'metric', 'period_start']),
        ),
    ]
