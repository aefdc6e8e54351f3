#ifndef LAUNCHDECK_CNCURSESW_SHIM_H
#define LAUNCHDECK_CNCURSESW_SHIM_H

// SwiftPM drops pkg-config's -D flags, so the wide-character API must be switched on here,
// before curses.h is read; without it wget_wch and the cchar_t functions are missing.
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// Macros and C globals that Swift cannot import cleanly, as functions.
static inline WINDOW *ld_stdscr(void) { return stdscr; }
static inline int ld_lines(void) { return LINES; }
static inline int ld_cols(void) { return COLS; }
static inline int ld_colors(void) { return COLORS; }
static inline int ld_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t ld_color_pair(int pair) { return (attr_t)COLOR_PAIR(pair); }
static inline attr_t ld_a_normal(void) { return A_NORMAL; }
static inline attr_t ld_a_bold(void) { return A_BOLD; }
static inline attr_t ld_a_reverse(void) { return A_REVERSE; }
static inline attr_t ld_a_underline(void) { return A_UNDERLINE; }
static inline attr_t ld_a_dim(void) { return A_DIM; }
static inline int ld_key_f(int n) { return KEY_F(n); }
static inline int ld_wcwidth(wchar_t c) { return wcwidth(c); }
static inline int ld_err(void) { return ERR; }
static inline int ld_key_code_yes(void) { return KEY_CODE_YES; }
static inline void ld_setlocale(void) { setlocale(LC_ALL, ""); }

// Draws one cell: a single grapheme (up to 5 wide characters) with attributes and a colour pair.
static inline int ld_put_cell(WINDOW *window, int y, int x, const wchar_t *text, attr_t attributes, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, attributes, pair, NULL) == ERR) return ERR;
    return mvwadd_wch(window, y, x, &cell);
}

#endif
