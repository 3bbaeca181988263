DROP INDEX `event_push_defaults_room_stream`;
