from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0006_telegram_bot')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Absence',
            index=Index(fields=['user_id', 'starts_at']),
        ),
        ops.AddIndex(
            model_name='Attachment',
            index=Index(fields=['interaction_id']),
        ),
        ops.AddIndex(
            model_name='ChannelIdentity',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='ChannelIdentity',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Company',
            index=Index(fields=['office_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Consent',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['office_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['company_id']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['office_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['company_id']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['owner_id', 'pipeline_id', 'stage_id', 'currency', 'amount_minor']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['pipeline_id', 'stage_id', 'currency', 'amount_minor', 'office_id']),
        ),
        ops.AddIndex(
            model_name='Device',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['deal_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['contact_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['company_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['author_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['office_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['owner_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['office_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Office',
            index=Index(fields=['parent_id']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['owner_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['office_id', 'updated_at']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['deal_id']),
        ),
        ops.AddIndex(
            model_name='OrderStatusChange',
            index=Index(fields=['order_id']),
        ),
        ops.AddIndex(
            model_name='PersonalAccessToken',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Pipeline',
            index=Index(fields=['office_id']),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['office_id']),
        ),
        ops.AddIndex(
            model_name='RefreshToken',
            index=Index(fields=['session_id']),
        ),
        ops.AddIndex(
            model_name='Session',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='Stage',
            index=Index(fields=['pipeline_id', 'position']),
        ),
        ops.AddIndex(
            model_name='StageTransition',
            index=Index(fields=['deal_id', 'entered_at']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['assignee_id', 'status', 'due_at']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['deal_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['contact_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['company_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['lead_id']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['office_id', 'status']),
        ),
        ops.AddIndex(
            model_name='TelegramLinkToken',
            index=Index(fields=['user_id']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['office_id']),
        ),
    ]
