-- expand.sql changes nothing, so there is nothing to reverse.
