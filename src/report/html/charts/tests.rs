//! Tests of the chart helpers that pick what a chart shows.

use super::*;

#[test]
fn heatmap_view_counts_every_ticket_once() {
    // 4 classes, top 2: the rest go to "other"; the cells add up to every ticket.
    let m = vec![
        vec![5, 3, 0, 0, 1],
        vec![2, 6, 0, 0, 0],
        vec![0, 0, 4, 1, 0],
        vec![0, 0, 0, 7, 0],
    ];
    let v = heatmap_view(&m, 2);
    assert_eq!(v.axis, vec![Some(0), Some(1), None]);
    assert!(v.invalid);
    assert_eq!(v.hidden, 2);
    let mut cols = v.axis.clone();
    cols.push(Some(4));
    let total: u64 = v
        .axis
        .iter()
        .flat_map(|&g| cols.iter().map(move |&p| (g, p)))
        .map(|(g, p)| heatmap_count(&m, &v, g, p))
        .sum();
    assert_eq!(total, m.iter().flatten().sum::<u64>());
    assert_eq!(heatmap_count(&m, &v, None, None), 12);
    assert_eq!(heatmap_count(&m, &v, Some(0), Some(4)), 1);
}
