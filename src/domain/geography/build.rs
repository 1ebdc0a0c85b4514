//! The UK geography built from the ONS reference rows, checked for consistency.

use std::collections::{BTreeMap, HashMap};

use super::areas::*;

/// A consistent set of areas with their alternative codes and containment.
#[derive(Debug, Default)]
pub struct Geography {
    /// Areas, parents before children.
    pub areas: Vec<Area>,
    /// Alternative codes.
    pub alt_codes: Vec<AltCode>,
    /// For each area and each level above or at it, the area of that level containing it.
    pub containment: Vec<Containment>,
    /// The local authorities newer than the 2020 boundaries, by code.
    pub newer_authorities: Vec<String>,
}

impl Geography {
    /// Builds the UK geography from the ONS reference rows.
    ///
    /// `countries` holds the UK and its countries, `regions` the English regions, `itl1` the
    /// twelve ITL1 areas and `districts` one row per local authority district.
    pub fn from_reference(
        countries: &[NamedArea],
        regions: &[NamedArea],
        itl1: &[Itl1Row],
        districts: &[DistrictRow],
    ) -> Result<Geography, GeographyError> {
        let mut builder = Builder::default();
        for c in countries {
            let level = if c.parent.is_none() {
                AreaLevel::Uk
            } else {
                AreaLevel::Country
            };
            builder.add(&c.code, &c.name, level, c.parent.as_deref(), "country")?;
        }
        let itl1_by_code: HashMap<&str, &Itl1Row> =
            itl1.iter().map(|r| (r.itl1.as_str(), r)).collect();
        for r in regions {
            let row = itl1.iter().find(|i| i.gss == r.code).ok_or_else(|| {
                GeographyError::UnknownReference {
                    what: "region",
                    code: r.code.clone(),
                    refers_to: "ITL1 area",
                    target: r.code.clone(),
                }
            })?;
            builder.add(
                &r.code,
                &r.name,
                AreaLevel::Region,
                Some(&row.country),
                "region",
            )?;
        }
        for row in itl1 {
            let area = builder.get(&row.gss, "ITL1 area", &row.itl1, "region or country")?;
            if area.level == AreaLevel::Country {
                // Outside England the country is also the region.
                builder.plays.push((row.gss.clone(), AreaLevel::Region));
            }
            builder.alt_codes.push(AltCode {
                code: row.itl1.clone(),
                area: row.gss.clone(),
                scheme: "ITL1",
            });
        }
        for d in districts {
            let itl1_row = itl1_by_code.get(d.itl1.as_str()).ok_or_else(|| {
                GeographyError::UnknownReference {
                    what: "district",
                    code: d.code.clone(),
                    refers_to: "ITL1 area",
                    target: d.itl1.clone(),
                }
            })?;
            builder.add_or_check(&d.itl2.0, &d.itl2.1, AreaLevel::Itl2, &itl1_row.gss)?;
            builder.add_or_check(&d.itl3.0, &d.itl3.1, AreaLevel::Itl3, &d.itl2.0)?;
            builder.add(
                &d.code,
                &d.name,
                AreaLevel::LocalAuthority,
                Some(&itl1_row.gss),
                "district",
            )?;
            builder.also_within.push((d.code.clone(), d.itl3.0.clone()));
        }
        builder.finish()
    }

    /// Adds the comparators (averages published beside UK figures): areas of their own level,
    /// with no parent and within nothing but themselves.
    pub fn add_comparators(&mut self, comparators: &[NamedArea]) -> Result<(), GeographyError> {
        for c in comparators {
            if self.areas.iter().any(|a| a.code == c.code) {
                return Err(GeographyError::Inconsistent {
                    code: c.code.clone(),
                    reason: "a comparator with the code of an area".into(),
                });
            }
            self.areas.push(Area {
                code: c.code.clone(),
                name: c.name.clone(),
                level: AreaLevel::Comparator,
                parent: None,
            });
            self.containment.push(Containment {
                area: c.code.clone(),
                level: AreaLevel::Comparator,
                within: c.code.clone(),
            });
        }
        Ok(())
    }

    /// Adds the authorities newer than the 2020 boundaries as local authorities beside the
    /// districts they replaced, within each area (region, ITL2, ITL3, ...) that holds every
    /// one of those districts. Each must replace 2020 districts of its own region that no
    /// other newer authority replaces. Returns their codes.
    pub fn add_newer_authorities(
        &mut self,
        newer: &[NewerAuthority],
    ) -> Result<Vec<String>, GeographyError> {
        let inconsistent = |code: &str, reason: String| GeographyError::Inconsistent {
            code: code.to_owned(),
            reason,
        };
        let mut replaced: std::collections::HashSet<&str> = Default::default();
        let mut added = Vec::new();
        for n in newer {
            if self.areas.iter().any(|a| a.code == n.code) {
                return Err(inconsistent(&n.code, "defined twice".into()));
            }
            if n.replaces.is_empty() {
                return Err(inconsistent(&n.code, "replaces no district".into()));
            }
            let mut common: Option<BTreeMap<AreaLevel, String>> = None;
            for district in &n.replaces {
                let is_district = self
                    .areas
                    .iter()
                    .any(|a| &a.code == district && a.level == AreaLevel::LocalAuthority);
                if !is_district {
                    return Err(GeographyError::UnknownReference {
                        what: "newer authority",
                        code: n.code.clone(),
                        refers_to: "2020 district",
                        target: district.clone(),
                    });
                }
                if !replaced.insert(district) {
                    return Err(inconsistent(
                        &n.code,
                        format!("{district} is replaced by two newer authorities"),
                    ));
                }
                let holding: BTreeMap<AreaLevel, String> = self
                    .containment
                    .iter()
                    .filter(|c| &c.area == district && c.level != AreaLevel::LocalAuthority)
                    .map(|c| (c.level, c.within.clone()))
                    .collect();
                if holding.get(&AreaLevel::Region) != Some(&n.region) {
                    return Err(inconsistent(
                        &n.code,
                        format!("its district {district} is not in its region {}", n.region),
                    ));
                }
                common = Some(match common {
                    None => holding,
                    Some(so_far) => so_far
                        .into_iter()
                        .filter(|(level, within)| holding.get(level) == Some(within))
                        .collect(),
                });
            }
            self.areas.push(Area {
                code: n.code.clone(),
                name: n.name.clone(),
                level: AreaLevel::LocalAuthority,
                parent: Some(n.region.clone()),
            });
            self.containment.push(Containment {
                area: n.code.clone(),
                level: AreaLevel::LocalAuthority,
                within: n.code.clone(),
            });
            for (level, within) in common.unwrap_or_default() {
                self.containment.push(Containment {
                    area: n.code.clone(),
                    level,
                    within,
                });
            }
            added.push(n.code.clone());
        }
        self.newer_authorities.extend(added.iter().cloned());
        Ok(added)
    }

    /// Adds the Commission's 2025 local areas as the `LOCAL_AREA` level. An area of one 2020
    /// district is that district; an area whose districts are exactly those of an existing
    /// area (Northern Ireland) is that area; any other is a new area: a county keeps its
    /// county code, a newer unitary authority its own code, and the rest get
    /// `SMC25-<short name>`. Each district of a new area lies within it. Every code must be a
    /// 2020 district, a county code alongside districts, or a listed newer authority.
    pub fn add_local_areas(
        &mut self,
        specs: &[LocalAreaSpec],
        newer: &[NewerAuthority],
    ) -> Result<LocalAreaReport, GeographyError> {
        let newer_codes = self.add_newer_authorities(newer)?;
        let level_of: HashMap<String, AreaLevel> = self
            .areas
            .iter()
            .map(|a| (a.code.clone(), a.level))
            .collect();
        let mut authorities_of: HashMap<String, Vec<String>> = HashMap::new();
        for c in &self.containment {
            if level_of.get(&c.area) == Some(&AreaLevel::LocalAuthority) && c.area != c.within {
                authorities_of
                    .entry(c.within.clone())
                    .or_default()
                    .push(c.area.clone());
            }
        }
        // A country playing the region's part contains its districts at both levels.
        for list in authorities_of.values_mut() {
            list.sort();
            list.dedup();
        }
        let region_of = |code: &str| -> Option<String> {
            self.containment
                .iter()
                .find(|c| c.area == code && c.level == AreaLevel::Region)
                .map(|c| c.within.clone())
        };
        let mut report = LocalAreaReport {
            newer_codes,
            ..Default::default()
        };
        let mut new_areas: Vec<Area> = Vec::new();
        let mut new_containment: Vec<Containment> = Vec::new();
        let mut alt_codes: Vec<AltCode> = Vec::new();
        let mut placed: std::collections::HashSet<String> = std::collections::HashSet::new();
        for spec in specs {
            let districts: Vec<&String> = spec
                .codes
                .iter()
                .filter(|c| level_of.get(*c) == Some(&AreaLevel::LocalAuthority))
                .collect();
            let others: Vec<&String> = spec
                .codes
                .iter()
                .filter(|c| level_of.get(*c) != Some(&AreaLevel::LocalAuthority))
                .collect();
            // Newer authorities are local authorities by now, beside the districts.
            let mut county: Option<&String> = None;
            for code in &others {
                if code.starts_with("E10") && !districts.is_empty() && county.is_none() {
                    county = Some(code);
                } else {
                    return Err(GeographyError::UnknownReference {
                        what: "local area",
                        code: spec.name.clone(),
                        refers_to: "district, county or newer authority",
                        target: (*code).clone(),
                    });
                }
            }
            let mut sorted: Vec<String> = districts.iter().map(|c| (*c).clone()).collect();
            sorted.sort();
            // Of several areas with exactly these districts (Northern Ireland is a country, a
            // region and an ITL2 area), the administrative one.
            let same_as = (others.is_empty() && sorted.len() > 1)
                .then(|| {
                    authorities_of
                        .iter()
                        .filter(|(_, list)| **list == sorted)
                        .map(|(container, _)| container)
                        .min_by_key(|c| {
                            let statistical = level_of.get(*c).is_none_or(|l| l.is_statistical());
                            (statistical, (*c).clone())
                        })
                        .cloned()
                })
                .flatten();
            let code = match (&sorted[..], county, same_as) {
                ([only], None, _) => only.clone(),
                (_, _, Some(existing)) => existing,
                (_, Some(county), None) => county.clone(),
                _ => format!("SMC25-{}", spec.slug.to_uppercase()),
            };
            let existing = level_of.contains_key(&code);
            if !existing {
                let region = sorted.first().and_then(|d| region_of(d)).ok_or_else(|| {
                    GeographyError::Inconsistent {
                        code: code.clone(),
                        reason: "a local area with no district".into(),
                    }
                })?;
                for c in self.containment.iter().filter(|c| c.area == region) {
                    new_containment.push(Containment {
                        area: code.clone(),
                        level: c.level,
                        within: c.within.clone(),
                    });
                }
                new_areas.push(Area {
                    code: code.clone(),
                    name: spec.name.clone(),
                    level: AreaLevel::LocalArea,
                    parent: Some(region),
                });
                report.added.push(code.clone());
            }
            new_containment.push(Containment {
                area: code.clone(),
                level: AreaLevel::LocalArea,
                within: code.clone(),
            });
            for d in &sorted {
                placed.insert(d.clone());
                if *d != code {
                    new_containment.push(Containment {
                        area: d.clone(),
                        level: AreaLevel::LocalArea,
                        within: code.clone(),
                    });
                }
            }
            alt_codes.push(AltCode {
                code: spec.slug.to_uppercase(),
                area: code,
                scheme: SMC_2025_SCHEME,
            });
        }
        report.unplaced_districts = level_of
            .iter()
            .filter(|(code, level)| **level == AreaLevel::LocalAuthority && !placed.contains(*code))
            .map(|(code, _)| code.clone())
            .collect();
        report.unplaced_districts.sort();
        self.areas.extend(new_areas);
        self.containment.extend(new_containment);
        self.alt_codes.extend(alt_codes);
        Ok(report)
    }
}

#[derive(Default)]
struct Builder {
    areas: Vec<Area>,
    index: HashMap<String, usize>,
    alt_codes: Vec<AltCode>,
    /// Extra levels an area plays (Wales is a region too).
    plays: Vec<(String, AreaLevel)>,
    /// A second line up from an area (a district lies in an ITL3 area as well as a region).
    also_within: Vec<(String, String)>,
}

impl Builder {
    fn get(
        &self,
        code: &str,
        what: &'static str,
        from: &str,
        refers_to: &'static str,
    ) -> Result<&Area, GeographyError> {
        self.index
            .get(code)
            .map(|&i| &self.areas[i])
            .ok_or_else(|| GeographyError::UnknownReference {
                what,
                code: from.to_owned(),
                refers_to,
                target: code.to_owned(),
            })
    }

    fn add(
        &mut self,
        code: &str,
        name: &str,
        level: AreaLevel,
        parent: Option<&str>,
        what: &'static str,
    ) -> Result<(), GeographyError> {
        if let Some(parent) = parent {
            self.get(parent, what, code, "parent area")?;
        }
        if self.index.contains_key(code) {
            return Err(GeographyError::Inconsistent {
                code: code.to_owned(),
                reason: "defined twice".to_owned(),
            });
        }
        self.index.insert(code.to_owned(), self.areas.len());
        self.areas.push(Area {
            code: code.to_owned(),
            name: name.to_owned(),
            level,
            parent: parent.map(str::to_owned),
        });
        Ok(())
    }

    /// ITL areas repeat on every district row: the first row defines them, later rows must agree.
    fn add_or_check(
        &mut self,
        code: &str,
        name: &str,
        level: AreaLevel,
        parent: &str,
    ) -> Result<(), GeographyError> {
        match self.index.get(code) {
            None => self.add(code, name, level, Some(parent), "ITL area"),
            Some(&i) => {
                let existing = &self.areas[i];
                if existing.level != level
                    || existing.name != name
                    || existing.parent.as_deref() != Some(parent)
                {
                    return Err(GeographyError::Inconsistent {
                        code: code.to_owned(),
                        reason: format!(
                            "rows disagree: {} `{}` in `{}` vs {} `{}` in `{}`",
                            existing.level,
                            existing.name,
                            existing.parent.as_deref().unwrap_or("-"),
                            level,
                            name,
                            parent
                        ),
                    });
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<Geography, GeographyError> {
        // Areas were added parents first, so one pass computes each area's containment from
        // its parent's (and from its second line up, for districts).
        let mut within: Vec<BTreeMap<AreaLevel, String>> = Vec::with_capacity(self.areas.len());
        for area in &self.areas {
            let mut levels = BTreeMap::new();
            levels.insert(area.level, area.code.clone());
            for (code, level) in &self.plays {
                if *code == area.code {
                    levels.insert(*level, area.code.clone());
                }
            }
            let mut lines: Vec<&str> = area.parent.iter().map(String::as_str).collect();
            lines.extend(
                self.also_within
                    .iter()
                    .filter(|(c, _)| *c == area.code)
                    .map(|(_, w)| w.as_str()),
            );
            for up in lines {
                let up_levels = &within[self.index[up]];
                for (level, code) in up_levels {
                    match levels.get(level) {
                        Some(existing) if existing != code => {
                            return Err(GeographyError::Inconsistent {
                                code: area.code.clone(),
                                reason: format!(
                                    "lies within two {level} areas: `{existing}` and `{code}`"
                                ),
                            });
                        }
                        Some(_) => {}
                        None => {
                            levels.insert(*level, code.clone());
                        }
                    }
                }
            }
            within.push(levels);
        }
        let containment = self
            .areas
            .iter()
            .zip(&within)
            .flat_map(|(area, levels)| {
                levels.iter().map(|(level, code)| Containment {
                    area: area.code.clone(),
                    level: *level,
                    within: code.clone(),
                })
            })
            .collect();
        Ok(Geography {
            areas: self.areas,
            alt_codes: self.alt_codes,
            containment,
            newer_authorities: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(code: &str, name: &str, parent: Option<&str>) -> NamedArea {
        NamedArea {
            code: code.into(),
            name: name.into(),
            parent: parent.map(Into::into),
        }
    }

    fn itl1(itl: &str, gss: &str, country: &str) -> Itl1Row {
        Itl1Row {
            itl1: itl.into(),
            gss: gss.into(),
            country: country.into(),
        }
    }

    fn district(code: &str, itl3: &str, itl2: &str, itl1: &str) -> DistrictRow {
        DistrictRow {
            code: code.into(),
            name: format!("District {code}"),
            itl3: (itl3.into(), format!("ITL3 {itl3}")),
            itl2: (itl2.into(), format!("ITL2 {itl2}")),
            itl1: itl1.into(),
        }
    }

    fn small() -> Result<Geography, GeographyError> {
        Geography::from_reference(
            &[
                named("K02000001", "United Kingdom", None),
                named("E92000001", "England", Some("K02000001")),
                named("W92000004", "Wales", Some("K02000001")),
            ],
            &[named("E12000007", "London", None)],
            &[
                itl1("TLI", "E12000007", "E92000001"),
                itl1("TLL", "W92000004", "W92000004"),
            ],
            &[
                district("E09000001", "TLI31", "TLI3", "TLI"),
                district("E09000033", "TLI32", "TLI3", "TLI"),
                district("W06000015", "TLL22", "TLL2", "TLL"),
            ],
        )
    }

    fn within(g: &Geography, area: &str, level: AreaLevel) -> Option<String> {
        g.containment
            .iter()
            .find(|c| c.area == area && c.level == level)
            .map(|c| c.within.clone())
    }

    #[test]
    fn a_london_borough_lies_in_its_itl_areas_region_country_and_the_uk() {
        let g = small().expect("consistent");
        let levels: Vec<_> = AreaLevel::ALL
            .iter()
            .map(|l| within(&g, "E09000001", *l))
            .collect();
        assert_eq!(
            levels,
            vec![
                Some("K02000001".into()),
                Some("E92000001".into()),
                Some("E12000007".into()),
                Some("TLI3".into()),
                Some("TLI31".into()),
                Some("E09000001".into()),
                // No local areas were added to this small geography.
                None,
                // A comparator contains nothing.
                None,
            ]
        );
    }

    #[test]
    fn wales_plays_the_part_of_a_region_for_its_authorities() {
        let g = small().expect("consistent");
        assert_eq!(
            within(&g, "W06000015", AreaLevel::Region).as_deref(),
            Some("W92000004")
        );
        assert_eq!(
            within(&g, "W92000004", AreaLevel::Region).as_deref(),
            Some("W92000004")
        );
        let cardiff = g.areas.iter().find(|a| a.code == "W06000015").expect("in");
        assert_eq!(cardiff.parent.as_deref(), Some("W92000004"));
    }

    #[test]
    fn itl2_areas_hang_off_their_itl1_area_and_itl3_off_itl2() {
        let g = small().expect("consistent");
        let itl2 = g.areas.iter().find(|a| a.code == "TLI3").expect("in");
        assert_eq!(
            (itl2.level, itl2.parent.as_deref()),
            (AreaLevel::Itl2, Some("E12000007"))
        );
        let itl3 = g.areas.iter().find(|a| a.code == "TLI32").expect("in");
        assert_eq!(itl3.parent.as_deref(), Some("TLI3"));
        assert!(
            g.alt_codes
                .iter()
                .any(|a| a.code == "TLI" && a.area == "E12000007")
        );
    }

    #[test]
    fn parents_come_before_children() {
        let g = small().expect("consistent");
        for (i, area) in g.areas.iter().enumerate() {
            if let Some(parent) = &area.parent {
                let p = g.areas.iter().position(|a| &a.code == parent).expect("in");
                assert!(p < i, "{} before its parent {}", area.code, parent);
            }
        }
    }

    #[test]
    fn a_district_naming_an_unknown_itl1_area_is_refused() {
        let err = Geography::from_reference(
            &[named("K02000001", "United Kingdom", None)],
            &[],
            &[],
            &[district("E09000001", "TLI31", "TLI3", "TLX")],
        )
        .expect_err("unknown ITL1");
        assert_eq!(
            err.to_string(),
            "district `E09000001` refers to unknown ITL1 area `TLX`"
        );
    }

    #[test]
    fn an_itl3_area_placed_in_two_itl2_areas_is_refused() {
        let err = Geography::from_reference(
            &[
                named("K02000001", "United Kingdom", None),
                named("E92000001", "England", Some("K02000001")),
            ],
            &[named("E12000007", "London", None)],
            &[itl1("TLI", "E12000007", "E92000001")],
            &[
                district("E09000001", "TLI31", "TLI3", "TLI"),
                district("E09000002", "TLI31", "TLI4", "TLI"),
            ],
        )
        .expect_err("inconsistent");
        assert!(matches!(err, GeographyError::Inconsistent { ref code, .. } if code == "TLI31"));
    }

    #[test]
    fn levels_round_trip_through_their_stored_form() {
        for level in AreaLevel::ALL {
            assert_eq!(level.as_str().parse::<AreaLevel>().ok(), Some(level));
        }
        assert!("WARD".parse::<AreaLevel>().is_err());
    }
}
