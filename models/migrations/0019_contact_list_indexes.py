from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0018_client_push')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ContactEmail',
            index=Index(fields=['contact_id', 'position', 'email']),
        ),
        ops.AddIndex(
            model_name='ContactPhone',
            index=Index(fields=['contact_id', 'position', 'number']),
        ),
    ]
