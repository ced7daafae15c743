package org.elu4j;

/**
 * Whether one backend can run on this machine, with details: for an available backend what it
 * runs on (library version, instruction set, vector width), for an unavailable one why not and
 * what to do about it.
 *
 * @param backend   the backend (never {@link Backend#AUTO})
 * @param available whether calls on it will run
 * @param detail    one human-readable line
 */
public record BackendStatus(Backend backend, boolean available, String detail) {
}
