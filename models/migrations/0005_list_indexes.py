from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0004_search')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Company',
            index=Index(fields=['owner_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['owner_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['owner_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['stage_id', 'stage_entered_at']),
        ),
    ]
