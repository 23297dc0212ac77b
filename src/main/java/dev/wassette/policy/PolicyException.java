package dev.wassette.policy;

import java.util.List;

/** An invalid policy: every problem found, each as {@code FILE:LINE: message}. */
public final class PolicyException extends Exception {
    private final List<String> problems;

    /**
     * An invalid policy.
     *
     * @param problems every problem found, each as {@code FILE:LINE: message}; also the message, one per line
     */
    public PolicyException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * Every problem found.
     *
     * @return the problems, each as {@code FILE:LINE: message}
     */
    public List<String> problems() {
        return problems;
    }
}
