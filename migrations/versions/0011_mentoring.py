"""mentoring: mentor profiles, mentorships, availability, bookings, notes, ratings, sign-offs, notifications

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-26 18:37:24.114051

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('availability_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.CheckConstraint('blocked OR (start_time IS NOT NULL AND end_time IS NOT NULL AND start_time < end_time)', name=op.f('ck_availability_exception_window_or_blocked')),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_availability_exception_mentor_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exception'))
    )
    with op.batch_alter_table('availability_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_exception_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('availability_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_availability_window_start_before_end')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_availability_window_weekday_range')),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_availability_window_mentor_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_window'))
    )
    with op.batch_alter_table('availability_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_window_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('mentor_profile',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('accepting', sa.Boolean(), nullable=False),
    sa.Column('session_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('notice_hours', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('buffer_minutes BETWEEN 0 AND 120', name=op.f('ck_mentor_profile_buffer_range')),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_mentor_profile_capacity_not_negative')),
    sa.CheckConstraint('horizon_days BETWEEN 1 AND 180', name=op.f('ck_mentor_profile_horizon_range')),
    sa.CheckConstraint('notice_hours BETWEEN 0 AND 336', name=op.f('ck_mentor_profile_notice_range')),
    sa.CheckConstraint('session_minutes BETWEEN 15 AND 240', name=op.f('ck_mentor_profile_session_length')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mentor_profile_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_mentor_profile'))
    )
    op.create_table('mentoring_settings',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('feed_token_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mentoring_settings_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_mentoring_settings')),
    sa.UniqueConstraint('feed_token_hash', name=op.f('uq_mentoring_settings_feed_token_hash'))
    )
    op.create_table('mentorship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('focus', sa.JSON(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('reflection', sa.Text(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('requested', 'active', 'declined', 'expired', 'ended')", name=op.f('ck_mentorship_state_known')),
    sa.CheckConstraint('mentor_id <> mentee_id', name=op.f('ck_mentorship_not_self')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['person.id'], name=op.f('fk_mentorship_assigned_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['person.id'], name=op.f('fk_mentorship_ended_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentee_id'], ['person.id'], name=op.f('fk_mentorship_mentee_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_mentorship_mentor_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship'))
    )
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_mentee_state', ['mentee_id', 'state'], unique=False)
        batch_op.create_index('ix_mentorship_mentor_state', ['mentor_id', 'state'], unique=False)
        batch_op.create_index('uq_mentorship_active_pair', ['mentor_id', 'mentee_id'], unique=True, sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_person_read', ['person_id', 'read_at'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentorship_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('competency', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('change_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('booked', 'cancelled')", name=op.f('ck_booking_state_known')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_booking_start_before_end')),
    sa.ForeignKeyConstraint(['mentee_id'], ['person.id'], name=op.f('fk_booking_mentee_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_booking_mentor_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentorship_id'], ['mentorship.id'], name=op.f('fk_booking_mentorship_id_mentorship'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_mentee_start', ['mentee_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_mentorship_id'), ['mentorship_id'], unique=False)
        batch_op.create_index('uq_booking_mentor_start_live', ['mentor_id', 'starts_at'], unique=True, sqlite_where=sa.text("state = 'booked'"), postgresql_where=sa.text("state = 'booked'"))

    op.create_table('mentor_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=True),
    sa.Column('competency', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_mentor_signoff_level_range')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_mentor_signoff_booking_id_booking'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentee_id'], ['person.id'], name=op.f('fk_mentor_signoff_mentee_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_mentor_signoff_mentor_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_signoff'))
    )
    with op.batch_alter_table('mentor_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_signoff_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_signoff_mentee_id'), ['mentee_id'], unique=False)

    op.create_table('session_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_session_note_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_session_note_booking_id_booking'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_note'))
    )
    with op.batch_alter_table('session_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_note_booking_id'), ['booking_id'], unique=False)

    op.create_table('session_rating',
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_session_rating_stars_range')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_session_rating_booking_id_booking'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['person.id'], name=op.f('fk_session_rating_mentor_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('booking_id', name=op.f('pk_session_rating'))
    )
    with op.batch_alter_table('session_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_rating_mentor_id'), ['mentor_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_rating_mentor_id'))

    op.drop_table('session_rating')
    with op.batch_alter_table('session_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_note_booking_id'))

    op.drop_table('session_note')
    with op.batch_alter_table('mentor_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_signoff_mentee_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_signoff_booking_id'))

    op.drop_table('mentor_signoff')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_mentor_start_live', sqlite_where=sa.text("state = 'booked'"), postgresql_where=sa.text("state = 'booked'"))
        batch_op.drop_index(batch_op.f('ix_booking_mentorship_id'))
        batch_op.drop_index('ix_booking_mentee_start')

    op.drop_table('booking')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_person_read')

    op.drop_table('notification')
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.drop_index('uq_mentorship_active_pair', sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
        batch_op.drop_index('ix_mentorship_mentor_state')
        batch_op.drop_index('ix_mentorship_mentee_state')

    op.drop_table('mentorship')
    op.drop_table('mentoring_settings')
    op.drop_table('mentor_profile')
    with op.batch_alter_table('availability_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_window_mentor_id'))

    op.drop_table('availability_window')
    with op.batch_alter_table('availability_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_exception_mentor_id'))

    op.drop_table('availability_exception')
